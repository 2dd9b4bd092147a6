-- ARGV: prefix, conversation id
local cid = ARGV[2]
local n = redis.call('ZCARD', k('m', cid))
redis.call('DEL', k('m', cid), k('mid', cid))
return {'ok', tostring(n)}
