-- ARGV: prefix, node, now
-- The check-and-set that makes a stale leader harmless: a node whose lease still runs is
-- never reaped, whoever asks.
local node, now = ARGV[2], ARGV[3]
if redis.call('EXISTS', k('node', node)) == 1 then return refuse('node_alive') end
local operators, visitors = {}, {}
for _, op in ipairs(redis.call('SMEMBERS', k('np', node))) do
  if redis.call('HDEL', k('pc', op), node) == 1 and redis.call('EXISTS', k('p', op)) == 1
      and links(k('pc', op)) == 0 then
    redis.call('HSET', k('p', op), 'disc', now)
    table.insert(operators, op)
  end
end
for _, cid in ipairs(redis.call('SMEMBERS', k('nv', node))) do
  if redis.call('HDEL', k('cv', cid), node) == 1 and redis.call('EXISTS', k('c', cid)) == 1
      and links(k('cv', cid)) == 0 then
    redis.call('HSET', k('c', cid), 'gone', now)
    table.insert(visitors, cid)
  end
end
redis.call('DEL', k('np', node), k('nv', node))
redis.call('SREM', k('nodes'), node)
return {'ok', operators, visitors}
