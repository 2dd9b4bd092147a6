-- ARGV: prefix, conversation id, operator id, now
-- Commit routing's plan, re-checking every part of it: a stale plan is refused, not applied.
local cid, op, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local c = hash(k('c', cid))
if not c or c.state ~= 'waiting' or not redis.call('ZSCORE', k('q', c.line), cid) then
  return refuse('not_waiting')
end
local p = hash(k('p', op))
if not p or links(k('pc', op)) == 0 then return refuse('offline') end
if p.state ~= 'available' then return refuse('not_available') end
local load = redis.call('SCARD', k('ph', op))
if load + redis.call('SCARD', k('pr', op)) >= tonumber(p.cap) then return refuse('full') end
if tonumber(p.cool) > now then return refuse('cooling_down') end
if not serves(p, c.line, c.lang) then return refuse('not_serving') end
if member(c.avoid, op) and now < tonumber(c.avoid_until) then
  -- the hand-back wish lapses at once when nobody else on duty could serve the visitor
  for _, other in ipairs(redis.call('SMEMBERS', k('ops'))) do
    if not member(c.avoid, other) then
      local q = hash(k('p', other))
      if q and on_duty_for(other, q, c.line, c.lang) then return refuse('avoided') end
    end
  end
end
redis.call('ZREM', k('q', c.line), cid)
redis.call('SADD', k('ph', op), cid)
redis.call('HSET', k('p', op), 'idle', ARGV[4])
redis.call('HSET', k('c', cid), 'state', 'active', 'op', op, 'answered', '1')
redis.call('HDEL', k('c', cid), 'note')
local first = '1'
if c.answered == '1' then
  first = '0'
else
  redis.call('HSET', k('c', cid), 'assigned', ARGV[4])  -- the first assignment: the wait figure
end
local has_note = '0'
if c.note then has_note = '1' end
return {'ok', first, has_note, c.note or '', tostring(load + 1)}
