-- ARGV: prefix, conversation id, node, now
local cid, node, now = ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', k('c', cid)) == 0 then return refuse('unknown') end
local n = tonumber(redis.call('HGET', k('cv', cid), node) or '0')
if n <= 0 then return refuse('offline') end
if n == 1 then
  redis.call('HDEL', k('cv', cid), node)
  redis.call('SREM', k('nv', node), cid)
else
  redis.call('HINCRBY', k('cv', cid), node, -1)
end
local total = links(k('cv', cid))
if total == 0 then redis.call('HSET', k('c', cid), 'gone', now) end
return {'ok', tostring(total)}
