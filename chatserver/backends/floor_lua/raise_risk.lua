-- ARGV: prefix, conversation id, risk: raised, never lowered ("" back when already as high)
local cid, risk = ARGV[2], ARGV[3]
local ORDER = {none = 0, low = 1, high = 2, acute = 3}
local c = hash(k('c', cid))
if not c then return refuse('unknown') end
if ORDER[risk] <= ORDER[c.risk or 'none'] then return {'ok', ''} end
redis.call('HSET', k('c', cid), 'risk', risk)
return {'ok', risk}
