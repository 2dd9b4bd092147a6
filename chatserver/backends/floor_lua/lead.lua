-- ARGV: prefix, node, ttl in ms
local node, ttl = ARGV[2], ARGV[3]
if redis.call('GET', k('leader')) == node then
  redis.call('PEXPIRE', k('leader'), ttl)
  return {'ok', '1'}
end
if redis.call('SET', k('leader'), node, 'NX', 'PX', ttl) then return {'ok', '1'} end
return {'ok', '0'}
