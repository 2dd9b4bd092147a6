-- ARGV: prefix, node
if redis.call('GET', k('leader')) == ARGV[2] then redis.call('DEL', k('leader')) end
return {'ok'}
