-- ARGV: prefix, conversation id, role, author, record (JSON without its opening brace), client id,
-- to visitor ('1' or '0'), operators (joined by SEP; '\30' alone: everyone on the operator side now),
-- holder ('' or the operator id that must hold the chat at this step)
-- Sequence, keep and publish in one step: seqs are unique and increasing, and every node's
-- subscribers receive a conversation's messages in seq order (distributed-notes.md), each with
-- its audience decided in this same step.
local cid, role, author, tail, client_id = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local to_visitor, operators = ARGV[7], ARGV[8]
local c = hash(k('c', cid))
if not c then return refuse('unknown') end
if client_id ~= '' then
  local seen = redis.call('HGET', k('mid', cid), client_id)
  if seen then
    local first = redis.call('ZRANGEBYSCORE', k('m', cid), seen, seen)
    return {'dup', seen, first[1] or ''}
  end
end
if c.forgotten == '1' then return refuse('forgotten') end
if ARGV[9] ~= '' and c.op ~= ARGV[9] then return refuse('not_holder') end
local open = c.state == 'waiting' or c.state == 'active'
if role == 'visitor' and not open then return refuse('not_active') end
if (role == 'operator' or role == 'note') and c.op ~= author then return refuse('not_holder') end
if role == 'operator' and c.state ~= 'active' then return refuse('not_active') end
if role == 'whisper' and c.op ~= author and redis.call('HEXISTS', k('w', cid), author) == 0 then
  return refuse('not_allowed')
end
if operators == '\30' then
  local audience = {}
  if c.op ~= '' then audience[1] = c.op end
  for _, watcher in ipairs(redis.call('HKEYS', k('w', cid))) do
    if watcher ~= c.op then audience[#audience + 1] = watcher end
  end
  operators = table.concat(audience, SEP)
end
local seq = redis.call('HINCRBY', k('c', cid), 'seq', 1)
local record = '{"seq":' .. seq .. ',' .. tail
redis.call('ZADD', k('m', cid), seq, record)
if client_id ~= '' then redis.call('HSET', k('mid', cid), client_id, seq) end
-- the envelope: "<to visitor><SEP><operators>\n<record>" (JSON escapes every newline)
redis.call('PUBLISH', k('posts'), to_visitor .. SEP .. operators .. '\n' .. record)
return {'ok', tostring(seq), record, to_visitor, operators}
