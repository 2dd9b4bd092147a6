-- ARGV: prefix, limit per line ("-1" for all): the head of every line, one snapshot
local entries = {}
for _, line in ipairs(redis.call('SMEMBERS', k('lines'))) do
  for _, cid in ipairs(redis.call('ZRANGE', k('q', line), 0, tonumber(ARGV[2]))) do
    table.insert(entries, entry_out(cid))
  end
end
return {'ok', entries}
