-- ARGV: prefix, conversation id, receiver, now
-- The offer's one outcome: whoever deletes the offer first (accept, decline, expiry,
-- takeover, the chat ending) is the only one that finds it.
local cid, receiver, now = ARGV[2], ARGV[3], ARGV[4]
local o = hash(k('o', cid))
if not o or o.receiver ~= receiver or redis.call('EXISTS', k('p', receiver)) == 0 then
  return refuse('no_offer')
end
void_offer(cid)
local previous = transfer(cid, hash(k('c', cid)), receiver, now)
return {'ok', previous, o.note}
