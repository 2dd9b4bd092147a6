-- ARGV: prefix, conversation id, now, gone before ("" for none), forgotten ("1"/"0")
local cid, gone_before, forgotten = ARGV[2], ARGV[4], ARGV[5] == '1'
local c = hash(k('c', cid))
if not c then return refuse('unknown') end
if gone_before ~= '' then
  -- the sweep's check-and-set: not if the visitor came back on some node meanwhile
  if links(k('cv', cid)) > 0 or c.gone == '' or tonumber(c.gone) > tonumber(gone_before) then
    return refuse('not_due')
  end
end
if c.state == 'waiting' then
  drop(cid, c)
  return {'ok', 'waiting', '', {}}
end
if c.state ~= 'active' then
  if not forgotten then return refuse('not_active') end
  redis.call('HSET', k('c', cid), 'forgotten', '1')  -- erased in wrap-up: nothing more is kept
  return {'ok', c.state, c.op, {}}
end
local offer = void_offer(cid)
drop_backup(cid)
redis.call('HSET', k('c', cid), 'state', 'wrapup')
if forgotten then redis.call('HSET', k('c', cid), 'forgotten', '1') end
return {'ok', 'active', c.op, offer}
