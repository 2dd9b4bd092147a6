-- ARGV: prefix, operator id, node, now, alias, role, lines, languages, capacity, backup
local op, node, now = ARGV[2], ARGV[3], ARGV[4]
if lapsed(node) then return refuse('lapsed') end
if redis.call('EXISTS', k('p', op)) == 0 then
  redis.call('HSET', k('p', op), 'state', 'paused', 'idle', now, 'cool', '0')
end
redis.call('HSET', k('p', op), 'alias', ARGV[5], 'role', ARGV[6], 'lines', ARGV[7],
  'langs', ARGV[8], 'cap', ARGV[9], 'backup', ARGV[10], 'disc', '')
redis.call('HINCRBY', k('pc', op), node, 1)
redis.call('SADD', k('np', node), op)
redis.call('SADD', k('ops'), op)
return {'ok', presence_out(op)}
