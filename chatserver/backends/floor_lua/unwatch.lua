-- ARGV: prefix, conversation id, operator id
local cid, op = ARGV[2], ARGV[3]
local kind = redis.call('HGET', k('w', cid), op)
if not kind then return refuse('not_watching') end
redis.call('HDEL', k('w', cid), op)
return {'ok', kind}
