-- ARGV: prefix, conversation id, operator id, reason, now
local cid, op, reason, now = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local c = hash(k('c', cid))
if not c or c.op ~= op then return refuse('not_holder') end
redis.call('DEL', k('b', cid))
redis.call('HSET', k('b', cid), 'requester', op, 'reason', reason, 'at', now, 'esc', '0')
redis.call('SADD', k('backups'), cid)
return {'ok'}
