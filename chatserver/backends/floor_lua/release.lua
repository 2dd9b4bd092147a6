-- ARGV: prefix, conversation id, operator id, now, cool-down until, pause ("1"/"0")
local cid, op, now, cool, pause = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local c = hash(k('c', cid))
if not c or c.op ~= op then return refuse('not_holder') end
local offer = void_offer(cid)
local watchers = redis.call('HGETALL', k('w', cid))
drop(cid, c)
redis.call('SREM', k('ph', op), cid)
redis.call('SREM', k('pt', op), cid)
if redis.call('EXISTS', k('p', op)) == 1 then
  redis.call('HSET', k('p', op), 'idle', now, 'cool', cool)
  if pause == '1' then redis.call('HSET', k('p', op), 'state', 'paused') end
end
return {'ok', offer, watchers}
