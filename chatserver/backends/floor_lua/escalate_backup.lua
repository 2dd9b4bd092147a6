-- ARGV: prefix, conversation id, due before (requests made at or before it are due)
local cid, due = ARGV[2], tonumber(ARGV[3])
local b = hash(k('b', cid))
if not b then return refuse('not_asked') end
if b.esc == '1' or tonumber(b.at) > due then return refuse('not_due') end
redis.call('HSET', k('b', cid), 'esc', '1')
b.esc = '1'
return {'ok', backup_out(b)}
