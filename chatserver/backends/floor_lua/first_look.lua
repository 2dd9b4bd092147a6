-- ARGV: prefix, conversation id
local cid = ARGV[2]
if redis.call('EXISTS', k('c', cid)) == 0 then return refuse('unknown') end
if redis.call('HGET', k('c', cid), 'triaged') == '1' then return {'ok', '0'} end
redis.call('HSET', k('c', cid), 'triaged', '1')
return {'ok', '1'}
