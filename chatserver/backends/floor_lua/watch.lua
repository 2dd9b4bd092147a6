-- ARGV: prefix, conversation id, operator id, kind ("backup" | "observer")
local cid, op, kind = ARGV[2], ARGV[3], ARGV[4]
local c = hash(k('c', cid))
if not c then return refuse('unknown') end
local p = hash(k('p', op))
if not p then return refuse('offline') end
if c.op == op then return refuse('not_allowed') end
local call = {}
if kind == 'observer' then
  if not is_supervisor(p) then return refuse('not_allowed') end
else
  if not (p.backup == '1' or is_supervisor(p)) then return refuse('not_allowed') end
  if c.state ~= 'waiting' and c.state ~= 'active' then return refuse('not_active') end
  local b = hash(k('b', cid))
  if b then
    call = backup_out(b)
    drop_backup(cid)
  elseif not is_supervisor(p) then
    for _, v in ipairs(redis.call('HVALS', k('w', cid))) do
      if v == 'backup' then return refuse('backup_taken') end
    end
    return refuse('not_asked')
  end
end
redis.call('HSET', k('w', cid), op, kind)
return {'ok', call}
