-- ARGV: prefix, the arrival (see put_on_floor), node, now, limit
local cid, line, node, now, limit = ARGV[2], ARGV[3], ARGV[11], ARGV[12], tonumber(ARGV[13])
if redis.call('SISMEMBER', k('open'), cid) == 1 then return refuse('in_use') end
if redis.call('ZCARD', k('q', line)) >= limit then return refuse('queue_full') end
queue_up(cid, put_on_floor(node, now), now, false)
return {'ok', entry_out(cid)}
