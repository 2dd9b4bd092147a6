-- ARGV: prefix
local dead = {}
for _, node in ipairs(redis.call('SMEMBERS', k('nodes'))) do
  if redis.call('EXISTS', k('node', node)) == 0 then table.insert(dead, node) end
end
return {'ok', dead}
