-- ARGV: prefix, conversation id, boost
local cid = ARGV[2]
local c = hash(k('c', cid))
if not c or c.state ~= 'waiting' or not redis.call('ZSCORE', k('q', c.line), cid) then
  return refuse('not_waiting')
end
local prio = int(tonumber(c.prio) + tonumber(ARGV[3]))
redis.call('HSET', k('c', cid), 'prio', prio)
redis.call('ZADD', k('q', c.line), score(prio, c.rank), cid)
return {'ok', entry_out(cid)}
