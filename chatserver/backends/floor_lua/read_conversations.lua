-- ARGV: prefix, conversation id ("" for every open conversation): one consistent snapshot
local found = {}
if ARGV[2] ~= '' then
  table.insert(found, conversation_out(ARGV[2]))
else
  for _, cid in ipairs(redis.call('SMEMBERS', k('open'))) do
    table.insert(found, conversation_out(cid))
  end
end
return {'ok', found}
