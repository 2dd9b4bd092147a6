-- ARGV: prefix, conversation id, node
local cid, node = ARGV[2], ARGV[3]
if lapsed(node) then return refuse('lapsed') end
if redis.call('EXISTS', k('c', cid)) == 0 then return refuse('unknown') end
redis.call('HINCRBY', k('cv', cid), node, 1)
redis.call('SADD', k('nv', node), cid)
redis.call('HSET', k('c', cid), 'gone', '')
return {'ok', tostring(links(k('cv', cid)))}
