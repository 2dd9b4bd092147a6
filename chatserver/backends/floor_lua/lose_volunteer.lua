-- ARGV: prefix, operator id, now, gone before
-- The sweep's check-and-set: only a volunteer still without a connection since gone_before.
local op, now, gone_before = ARGV[2], ARGV[3], ARGV[4]
local p = hash(k('p', op))
if not p then return refuse('unknown') end
if links(k('pc', op)) > 0 or p.disc == '' or tonumber(p.disc) > tonumber(gone_before) then
  return refuse('not_due')
end
local voided = {}
for _, cid in ipairs(redis.call('ZRANGE', k('offers'), 0, -1)) do
  local o = hash(k('o', cid))
  if o and (o.sender == op or o.receiver == op) then
    local offer = void_offer(cid)
    table.insert(offer, 1, cid)
    table.insert(voided, offer)
  end
end
local unwatched = {}
for _, cid in ipairs(redis.call('SMEMBERS', k('open'))) do
  if redis.call('HDEL', k('w', cid), op) == 1 then table.insert(unwatched, cid) end
end
local held = redis.call('SMEMBERS', k('ph', op))
table.sort(held, before)
local requeued, closed = {}, {}
for _, cid in ipairs(held) do
  local c = hash(k('c', cid))
  if c and c.state == 'active' then
    local watchers = redis.call('HGETALL', k('w', cid))
    redis.call('DEL', k('w', cid))
    drop_backup(cid)
    table.insert(requeued, {cid, tostring(queue_up(cid, c, now, true)), watchers})
  elseif c then  -- a wrap-up that never finished: it leaves the floor without one
    drop(cid, c)
    table.insert(closed, cid)
  end
end
for node, _ in pairs(hash(k('pc', op)) or {}) do redis.call('SREM', k('np', node), op) end
redis.call('DEL', k('p', op), k('pc', op), k('ph', op), k('pr', op), k('pt', op))
redis.call('SREM', k('ops'), op)
return {'ok', requeued, closed, voided, unwatched}
