-- ARGV: prefix, operator id, state, now
local op, state, now = ARGV[2], ARGV[3], ARGV[4]
local p = hash(k('p', op))
if not p or links(k('pc', op)) == 0 then return refuse('offline') end
if state == 'available' and p.state ~= 'available' and tonumber(now) > tonumber(p.idle) then
  redis.call('HSET', k('p', op), 'idle', now)
end
redis.call('HSET', k('p', op), 'state', state)
return {'ok', presence_out(op)}
