-- ARGV: prefix, conversation id, operator id, now, avoid until, note
local cid, op, now, avoid_until, note = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local c = hash(k('c', cid))
if not c or c.op ~= op then return refuse('not_holder') end
if c.state ~= 'active' then return refuse('not_active') end
if redis.call('EXISTS', k('o', cid)) == 1 then return refuse('offer_pending') end
local watchers = redis.call('HGETALL', k('w', cid))
redis.call('DEL', k('w', cid))
drop_backup(cid)
redis.call('SREM', k('ph', op), cid)
redis.call('SREM', k('pt', op), cid)
if redis.call('EXISTS', k('p', op)) == 1 then redis.call('HSET', k('p', op), 'idle', now) end
redis.call('HSET', k('c', cid), 'note', note)
local rank = queue_up(cid, c, now, true, op, avoid_until)
return {'ok', tostring(rank), watchers}
