-- ARGV: prefix, operator id ("" for everyone on the floor): one consistent snapshot
local found = {}
if ARGV[2] ~= '' then
  table.insert(found, presence_out(ARGV[2]))
else
  for _, op in ipairs(redis.call('SMEMBERS', k('ops'))) do
    table.insert(found, presence_out(op))
  end
end
return {'ok', found}
