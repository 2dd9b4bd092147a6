"""The Lua scripts of the records: every write that checks before it commits, or touches keys
it first has to find, is one script, so it is atomic (Redis runs one script at a time) and
reaches the append-only file as one unit. Plain multi-key writes use MULTI/EXEC instead.

Keys a script knows in advance come as ``KEYS``; keys it discovers (a session's operator, a
space's threads) it builds from the prefix, ``ARGV[1]`` where it says so: the records need
one Redis instance, as the floor does.
"""

from __future__ import annotations

# helpers put in front of the scripts that need them -------------------------------------
_DROP_SESSION = """
local function drop_session(R, token)
  local op = redis.call('HGET', R .. 'sess:' .. token, 'operator_id')
  if op then redis.call('SREM', R .. 'sessions_of:' .. op, token) end
  redis.call('ZREM', R .. 'seen', token)
  return redis.call('DEL', R .. 'sess:' .. token)
end
"""

_DROP_THREAD = """
local function drop_thread(R, tid)
  local t = R .. 'thread:' .. tid
  local letters = redis.call('HLEN', R .. 'let:' .. tid)
  redis.call('DEL', R .. 'let:' .. tid)
  local owner = redis.call('HGET', t, 'owner')
  if owner then redis.call('SREM', R .. 'owned:' .. owner, tid) end
  local sid = redis.call('HGET', t, 'space_id')
  if sid then redis.call('SREM', R .. 'space_threads:' .. sid, tid) end
  redis.call('ZREM', R .. 'threads', tid)
  redis.call('ZREM', R .. 'letterq', tid)
  redis.call('DEL', t)
  return letters
end
"""

# accounts and sessions -------------------------------------------------------------------
# KEYS: acct:{id}, users, accts; ARGV: id, username, field, value, ...
ADD_ACCOUNT = """
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
  return 'taken'
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
return 'ok'
"""

# KEYS: acct:{id}, users; ARGV: id, username, field, value, ... (created_at is kept)
UPDATE_ACCOUNT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
local owner = redis.call('HGET', KEYS[2], ARGV[2])
if owner and owner ~= ARGV[1] then return 'taken' end
local old = redis.call('HGET', KEYS[1], 'username')
if old then redis.call('HDEL', KEYS[2], old) end
local created = redis.call('HGET', KEYS[1], 'created_at')
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
if created then redis.call('HSET', KEYS[1], 'created_at', created) end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 'ok'
"""

# KEYS: sess:{token}, seen; ARGV: token, last_seen
TOUCH_SESSION = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'last_seen', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""

# ARGV: R, token
DELETE_SESSION = _DROP_SESSION + "return drop_session(ARGV[1], ARGV[2])"

# ARGV: R, operator id
DELETE_SESSIONS_OF = (
    _DROP_SESSION
    + """
local ended = 0
for _, token in ipairs(redis.call('SMEMBERS', ARGV[1] .. 'sessions_of:' .. ARGV[2])) do
  ended = ended + drop_session(ARGV[1], token)
end
redis.call('DEL', ARGV[1] .. 'sessions_of:' .. ARGV[2])
return ended
"""
)

# ARGV: R, idle_since; the tokens ended (a session touched since is no longer in range)
EXPIRE_SESSIONS = (
    _DROP_SESSION
    + """
local tokens = redis.call('ZRANGEBYSCORE', ARGV[1] .. 'seen', '-inf', '(' .. ARGV[2])
for _, token in ipairs(tokens) do drop_session(ARGV[1], token) end
return tokens
"""
)

# messages and letters --------------------------------------------------------------------
# KEYS: thread:{id}, let:{id}; ARGV: seq, payload
APPEND_ITEM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 'taken' end
return 'ok'
"""

# KEYS: conv:{id}, erased:{id}, msg:{id}, holding:{role}; ARGV: seq, payload, conversation id.
# The erase's mark is read in the same step as the write: a message another node numbered
# before the visitor's "delete my conversation" cannot land after its erase.
APPEND_MESSAGE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'erased' end
if redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[2]) == 0 then return 'taken' end
redis.call('SADD', KEYS[4], ARGV[3])
return 'ok'
"""

# KEYS: conv:{id}, erased:{id}, msg:{id}, then holding:{role} for each of n roles, then
# offer:{id}, offers; ARGV: conversation id, final ('1': every role goes and nothing may
# follow), n, the n role names (as KEYS), then the roles to erase. Returns how many messages
# went. A final erase of a known conversation leaves its mark (no text) for APPEND_MESSAGE to
# refuse by, and takes a next chat offered in it (the offer's note) along.
ERASE_MESSAGES = """
local n = tonumber(ARGV[3])
local erase = {}
for i = 4 + n, #ARGV do erase[ARGV[i]] = true end
local items = redis.call('HGETALL', KEYS[3])
local gone, left = {}, {}
for i = 1, #items, 2 do
  local role = cjson.decode(items[i + 1])['role']
  if erase[role] then table.insert(gone, items[i]) else left[role] = true end
end
for i = 1, #gone, 500 do
  redis.call('HDEL', KEYS[3], unpack(gone, i, math.min(i + 499, #gone)))
end
for i = 1, n do
  if left[ARGV[3 + i]] then
    redis.call('SADD', KEYS[3 + i], ARGV[1])
  else
    redis.call('SREM', KEYS[3 + i], ARGV[1])
  end
end
if ARGV[2] == '1' then
  if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('SET', KEYS[2], '1') end
  redis.call('DEL', KEYS[4 + n])
  redis.call('ZREM', KEYS[5 + n], ARGV[1])
end
return #gone
"""

# holds and the audit log -----------------------------------------------------------------
# KEYS: conv:{id}, hold:{id}, holds; ARGV: id, expires_at, field, value, ...
ADD_HOLD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return 'ok'
"""

# KEYS: audit, audit_n; ARGV: at, payload. The counter orders entries of the same instant.
ADD_AUDIT = """
local n = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], ARGV[1], string.format('%016d|', n) .. ARGV[2])
return n
"""

# statistics ------------------------------------------------------------------------------
# KEYS: hour:{line}:{hour}, hours:{line}; ARGV: hour, then (op, field, number) triplets:
# i adds an integer, f adds a float, m keeps the maximum. Numbers only.
ADD_STATS = """
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[1])
for i = 2, #ARGV, 3 do
  local op, field, value = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if op == 'i' then
    redis.call('HINCRBY', KEYS[1], field, value)
  elseif op == 'f' then
    redis.call('HINCRBYFLOAT', KEYS[1], field, value)
  else
    local now = redis.call('HGET', KEYS[1], field)
    if not now or tonumber(now) < tonumber(value) then
      redis.call('HSET', KEYS[1], field, value)
    end
  end
end
return 1
"""

# follow-up -------------------------------------------------------------------------------
# KEYS: space:{id}, space_keys, spaces; ARGV: id, key hash or '', active_at, field, value, ...
SAVE_SPACE = """
if ARGV[2] ~= '' then
  local owner = redis.call('HGET', KEYS[2], ARGV[2])
  if owner and owner ~= ARGV[1] then return 'taken' end
end
local old = redis.call('HGET', KEYS[1], 'key_hash')
if old and old ~= ARGV[2] and redis.call('HGET', KEYS[2], old) == ARGV[1] then
  redis.call('HDEL', KEYS[2], old)
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
if ARGV[2] ~= '' then redis.call('HSET', KEYS[2], ARGV[2], ARGV[1]) end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return 'ok'
"""

# The conditional steps of the follow-up: each checks what its caller read and writes only
# if that still holds, else answers so (0, 'changed', nil) and writes nothing.

# KEYS: space:{id}, spaces; ARGV: id, at. ``active_at`` forward, never back.
TOUCH_SPACE = """
local active = redis.call('HGET', KEYS[1], 'active_at')
if not active then return 0 end
if tonumber(ARGV[2]) > tonumber(active) then
  redis.call('HSET', KEYS[1], 'active_at', ARGV[2])
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
end
return 1
"""

# KEYS: space:{id}, space_keys, spaces; ARGV: id, old key hash, new key hash, at
REKEY_SPACE = """
if redis.call('HGET', KEYS[1], 'key_hash') ~= ARGV[2] then return 'changed' end
local owner = redis.call('HGET', KEYS[2], ARGV[3])
if owner and owner ~= ARGV[1] then return 'taken' end
if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[2]) end
redis.call('HSET', KEYS[1], 'key_hash', ARGV[3])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[1])
if tonumber(ARGV[4]) > tonumber(redis.call('HGET', KEYS[1], 'active_at')) then
  redis.call('HSET', KEYS[1], 'active_at', ARGV[4])
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
end
return 'ok'
"""

# KEYS: space:{id}, space_keys; ARGV: id, at
REVOKE_SPACE = """
local key = redis.call('HGET', KEYS[1], 'key_hash')
if not key then return 0 end
if redis.call('HGET', KEYS[2], key) == ARGV[1] then redis.call('HDEL', KEYS[2], key) end
redis.call('HDEL', KEYS[1], 'key_hash')
redis.call('HSET', KEYS[1], 'revoked_at', ARGV[2])
return 1
"""

# ARGV: R, thread id, owner it must have ('' nobody), new owner ('' nobody), note given
# (1/0), note
SET_THREAD_OWNER = """
local R, tid = ARGV[1], ARGV[2]
local t = R .. 'thread:' .. tid
if redis.call('EXISTS', t) == 0 then return 0 end
local old = redis.call('HGET', t, 'owner') or ''
if old ~= ARGV[3] then return 0 end
if old ~= '' then redis.call('SREM', R .. 'owned:' .. old, tid) end
if ARGV[4] ~= '' then
  redis.call('HSET', t, 'owner', ARGV[4])
  redis.call('SADD', R .. 'owned:' .. ARGV[4], tid)
else
  redis.call('HDEL', t, 'owner')
end
if ARGV[5] == '1' then redis.call('HSET', t, 'note', ARGV[6]) else redis.call('HDEL', t, 'note') end
return 1
"""

# KEYS: thread:{id}, let:{id}, threads, letterq; ARGV: thread id, seq, payload, at, visitor
# (1/0), due_at or ''. The letter, and the thread's clock in the same step.
POST_LETTER = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 0 then return 'taken' end
local active = redis.call('HGET', KEYS[1], 'active_at')
if not active or tonumber(ARGV[4]) > tonumber(active) then
  redis.call('HSET', KEYS[1], 'active_at', ARGV[4])
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
end
if ARGV[5] == '1' then
  if redis.call('HEXISTS', KEYS[1], 'waiting_since') == 0 then
    redis.call('HSET', KEYS[1], 'waiting_since', ARGV[4])
    if ARGV[6] ~= '' then
      redis.call('HSET', KEYS[1], 'due_at', ARGV[6])
    else
      redis.call('HDEL', KEYS[1], 'due_at')
    end
    redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
  end
else
  redis.call('HDEL', KEYS[1], 'waiting_since', 'due_at')
  redis.call('ZREM', KEYS[4], ARGV[1])
end
return 'ok'
"""

# KEYS: appt:{id}, appts; ARGV: id, state it must be in, time it must have, new time, field,
# value, ... (the whole new record)
CHANGE_APPOINTMENT = """
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[2] then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'at')) ~= tonumber(ARGV[3]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1
"""

# KEYS: offer:{conversation id}, offers; ARGV: conversation id, since. The offer's fields
# (field, value, ...) once, to one caller; nil if there is none made at ``since`` or later.
TAKE_OFFER = """
local made = redis.call('HGET', KEYS[1], 'made_at')
if not made or tonumber(made) < tonumber(ARGV[2]) then return false end
local fields = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return fields
"""

# ARGV: R, before; how many lapsed offers went
DROP_OFFERS = """
local R = ARGV[1]
local lapsed = redis.call('ZRANGEBYSCORE', R .. 'offers', '-inf', '(' .. ARGV[2])
for _, cid in ipairs(lapsed) do
  redis.call('DEL', R .. 'offer:' .. cid)
  redis.call('ZREM', R .. 'offers', cid)
end
return #lapsed
"""

# KEYS: space_kept:{id}, space_convs:{id}; ARGV: conversation id, kept (1/0)
ATTACH = """
if redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[1])
end
return 1
"""

# ARGV: R, id, space id, owner or '', active_at, waiting_since or '', field, value, ...
SAVE_THREAD = """
local R, tid = ARGV[1], ARGV[2]
local t = R .. 'thread:' .. tid
local old = redis.call('HGET', t, 'owner')
if old then redis.call('SREM', R .. 'owned:' .. old, tid) end
redis.call('DEL', t)
redis.call('HSET', t, unpack(ARGV, 7))
redis.call('SADD', R .. 'space_threads:' .. ARGV[3], tid)
redis.call('ZADD', R .. 'threads', ARGV[5], tid)
if ARGV[6] ~= '' then
  redis.call('ZADD', R .. 'letterq', ARGV[6], tid)
else
  redis.call('ZREM', R .. 'letterq', tid)
end
if ARGV[4] ~= '' then redis.call('SADD', R .. 'owned:' .. ARGV[4], tid) end
return 'ok'
"""

# ARGV: R, thread id; how many letters went
ERASE_THREAD = _DROP_THREAD + "return drop_thread(ARGV[1], ARGV[2])"

# ARGV: R, space id; how many letters went
ERASE_SPACE = (
    _DROP_THREAD
    + """
local R, sid = ARGV[1], ARGV[2]
local letters = 0
for _, tid in ipairs(redis.call('SMEMBERS', R .. 'space_threads:' .. sid)) do
  letters = letters + drop_thread(R, tid)
end
for _, aid in ipairs(redis.call('SMEMBERS', R .. 'space_appts:' .. sid)) do
  redis.call('DEL', R .. 'appt:' .. aid)
  redis.call('ZREM', R .. 'appts', aid)
end
local key = redis.call('HGET', R .. 'space:' .. sid, 'key_hash')
if key and redis.call('HGET', R .. 'space_keys', key) == sid then
  redis.call('HDEL', R .. 'space_keys', key)
end
redis.call('DEL', R .. 'space_threads:' .. sid, R .. 'space_appts:' .. sid,
  R .. 'space_convs:' .. sid, R .. 'space_kept:' .. sid, R .. 'space:' .. sid)
redis.call('ZREM', R .. 'spaces', sid)
return letters
"""
)
