-- ARGV: prefix, conversation id
local line = redis.call('HGET', k('c', ARGV[2]), 'line')
if not line then return {'ok', ''} end
local rank = redis.call('ZRANK', k('q', line), ARGV[2])
if not rank then return {'ok', ''} end
return {'ok', tostring(rank + 1)}
