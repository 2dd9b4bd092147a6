-- ARGV: prefix, conversation id, operator id, now
local cid, op, now = ARGV[2], ARGV[3], ARGV[4]
local c = hash(k('c', cid))
if not c then return refuse('unknown') end
local p = hash(k('p', op))
if not p then return refuse('offline') end
local reading = redis.call('HEXISTS', k('w', cid), op) == 1
if c.op == op or not (reading or is_supervisor(p)) then return refuse('not_allowed') end
if c.state ~= 'active' then return refuse('not_active') end
local offer = void_offer(cid)
redis.call('SADD', k('pt', op), cid)
local previous = transfer(cid, c, op, now)
return {'ok', previous, offer}
