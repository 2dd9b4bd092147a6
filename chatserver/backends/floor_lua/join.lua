-- ARGV: prefix, node, ttl in ms
local node = ARGV[2]
if not redis.call('SET', k('node', node), '1', 'NX', 'PX', ARGV[3]) then return {'ok', '0'} end
redis.call('SADD', k('nodes'), node)
redis.call('SADD', k('joined'), node)  -- held to its lease from now on (see `lapsed`)
return {'ok', '1'}
