-- ARGV: prefix, operator id, node, now
local op, node, now = ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', k('p', op)) == 0 or links(k('pc', op)) == 0 then
  return refuse('offline')
end
local n = tonumber(redis.call('HGET', k('pc', op), node) or '0')
if n <= 0 then return refuse('offline') end
if n == 1 then
  redis.call('HDEL', k('pc', op), node)
  redis.call('SREM', k('np', node), op)
else
  redis.call('HINCRBY', k('pc', op), node, -1)
end
if links(k('pc', op)) == 0 then redis.call('HSET', k('p', op), 'disc', now) end
return {'ok', presence_out(op)}
