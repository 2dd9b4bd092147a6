-- ARGV: prefix: open offers and backup requests, one snapshot
local offers, calls = {}, {}
for _, cid in ipairs(redis.call('ZRANGE', k('offers'), 0, -1)) do
  local o = hash(k('o', cid))
  table.insert(offers, {cid, o.sender, o.receiver, o.note, o.exp})
end
for _, cid in ipairs(redis.call('SMEMBERS', k('backups'))) do
  local b = backup_out(hash(k('b', cid)))
  table.insert(b, 1, cid)
  table.insert(calls, b)
end
return {'ok', offers, calls}
