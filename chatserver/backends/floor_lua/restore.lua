-- ARGV: prefix, the arrival (see put_on_floor), now, state, answered ("1"/"0"), assigned at
-- ("" for never), risk, then the holder's profile (id "" for nobody): id, alias, role, lines,
-- languages, capacity, backup
-- Nobody is connected yet: the grace periods run from now. Refused when the conversation
-- is on the floor already, so that nodes starting at once restore it once.
local cid, now, state, op = ARGV[2], ARGV[11], ARGV[12], ARGV[16]
if redis.call('SISMEMBER', k('open'), cid) == 1 then return refuse('in_use') end
local c = put_on_floor('', now)
redis.call('HSET', k('c', cid), 'answered', ARGV[13], 'assigned', ARGV[14], 'risk', ARGV[15])
if state == 'waiting' then
  queue_up(cid, c, now, false)
elseif op == '' then
  queue_up(cid, c, now, true)
else
  if redis.call('EXISTS', k('p', op)) == 0 then  -- disconnected: their grace period runs
    redis.call('HSET', k('p', op), 'state', 'paused', 'idle', now, 'cool', '0', 'alias',
      ARGV[17], 'role', ARGV[18], 'lines', ARGV[19], 'langs', ARGV[20], 'cap', ARGV[21],
      'backup', ARGV[22], 'disc', now)
    redis.call('SADD', k('ops'), op)
  end
  hold(cid, op, now, false)
  redis.call('HSET', k('c', cid), 'state', state)
end
return {'ok', conversation_out(cid)}
