-- ARGV: prefix, conversation id, now
local cid = ARGV[2]
local c = hash(k('c', cid))
if not c then return refuse('unknown') end
if c.state == 'waiting' then
  drop(cid, c)
  return {'ok', 'waiting', '', {}}
end
if c.state ~= 'active' then return refuse('not_active') end
local offer = void_offer(cid)
drop_backup(cid)
redis.call('HSET', k('c', cid), 'state', 'wrapup')
return {'ok', 'active', c.op, offer}
