-- ARGV: prefix, the arrival (see put_on_floor), node, now, pinned (JSON), agreed volunteer,
-- has note ("1"/"0"), note
-- Promised: neither a full queue nor the volunteer's capacity refuses it.
local cid, node, now, pinned, op = ARGV[2], ARGV[11], ARGV[12], ARGV[13], ARGV[14]
if redis.call('SISMEMBER', k('open'), cid) == 1 then return refuse('in_use') end
local c = put_on_floor(node, now)
redis.call('HSET', k('c', cid), 'pinned', pinned)
local p = hash(k('p', op))
if not p or links(k('pc', op)) == 0 or p.state == 'away' then
  if ARGV[15] == '1' then redis.call('HSET', k('c', cid), 'note', ARGV[16]) end
  queue_up(cid, c, now, true)
  return {'ok', 'waiting', entry_out(cid)}
end
local load = redis.call('SCARD', k('ph', op))
local full = load + redis.call('SCARD', k('pr', op)) >= tonumber(p.cap)
hold(cid, op, now, full)
redis.call('HSET', k('c', cid), 'answered', '1', 'assigned', now)
return {'ok', 'claimed', tostring(load + 1)}
