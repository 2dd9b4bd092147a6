-- ARGV: prefix, conversation id, sender, receiver, note, expires at
local cid, sender, receiver, note, exp = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local c = hash(k('c', cid))
if not c or c.op ~= sender then return refuse('not_holder') end
if c.state ~= 'active' then return refuse('not_active') end
if redis.call('EXISTS', k('o', cid)) == 1 then return refuse('offer_pending') end
if receiver == sender then return refuse('self') end
local r = hash(k('p', receiver))
if not r or links(k('pc', receiver)) == 0 then return refuse('offline') end
if r.state ~= 'available' then return refuse('not_available') end
local taken = redis.call('SCARD', k('ph', receiver)) + redis.call('SCARD', k('pr', receiver))
if taken >= tonumber(r.cap) then return refuse('full') end
if not serves(r, c.line, c.lang) then return refuse('not_serving') end
redis.call('HSET', k('o', cid), 'sender', sender, 'receiver', receiver, 'note', note, 'exp', exp)
redis.call('ZADD', k('offers'), exp, cid)
redis.call('SADD', k('pr', receiver), cid)
return {'ok'}
