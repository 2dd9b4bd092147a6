-- ARGV: prefix, conversation id, receiver
local cid, receiver = ARGV[2], ARGV[3]
local o = hash(k('o', cid))
if not o or o.receiver ~= receiver then return refuse('no_offer') end
return {'ok', void_offer(cid)}
