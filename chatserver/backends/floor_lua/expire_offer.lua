-- ARGV: prefix, conversation id, now
local cid, now = ARGV[2], tonumber(ARGV[3])
local o = hash(k('o', cid))
if not o then return refuse('no_offer') end
if tonumber(o.exp) > now then return refuse('not_due') end
return {'ok', void_offer(cid)}
