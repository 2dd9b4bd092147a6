-- Shared by every floor script; redis_floor.py puts it in front of each one.
-- ARGV[1] is the key prefix: every key of the floor starts with it (see docs/architecture-floor.md
-- for the layout). Lists inside one field (lines, languages, avoid) are joined by "\31".
-- Time-derived values come from the caller as strings and are stored as given, so no float
-- goes through Lua's number formatting; only integers (ranks, counts, seqs) are computed here.
local P = ARGV[1]
local SEP = '\31'

local function k(...)
  return P .. table.concat({...}, ':')
end

local function refuse(reason)
  return {'refused', reason}
end

local function hash(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

local function member(list, item)
  if list == nil or list == '' then return false end
  for part in string.gmatch(list, '[^' .. SEP .. ']+') do
    if part == item then return true end
  end
  return false
end

local function links(key)
  local n = 0
  for _, v in ipairs(redis.call('HVALS', key)) do n = n + tonumber(v) end
  return n
end

local function int(n)
  return string.format('%.0f', n)
end

-- queue order: higher priority first, then rank; 2^40 leaves ranks and priorities room
-- within a double's exact integers
local function score(priority, rank)
  return int(-tonumber(priority) * 1099511627776 + tonumber(rank))
end

local function is_supervisor(p)
  return p.role == 'supervisor' or p.role == 'admin'
end

local function serves(p, line, lang)
  return (p.lines == '' or member(p.lines, line)) and member(p.langs, lang)
end

-- a node that joined this floor is held to its lease: once it lapsed (and the node may have
-- been reaped already), nothing of that node is registered until it joined again, or its
-- connections would stay on the floor with no node listed to reap them. A handle that never
-- joined (one hub on a Redis floor, the tests) has no lease to lose.
local function lapsed(node)
  return node ~= '' and redis.call('SISMEMBER', k('joined'), node) == 1
    and redis.call('EXISTS', k('node', node)) == 0
end

local function on_duty_for(op, p, line, lang)
  return p.state == 'available' and links(k('pc', op)) > 0 and serves(p, line, lang)
end

local function void_offer(cid)
  local o = hash(k('o', cid))
  if not o then return {} end
  redis.call('DEL', k('o', cid))
  redis.call('ZREM', k('offers'), cid)
  redis.call('SREM', k('pr', o.receiver), cid)
  return {o.sender, o.receiver, o.note, o.exp}
end

local function drop_backup(cid)
  redis.call('DEL', k('b', cid))
  redis.call('SREM', k('backups'), cid)
end

-- the conversation leaves the floor with everything the floor kept about it
local function drop(cid, c)
  redis.call('ZREM', k('q', c.line), cid)
  redis.call('HDEL', k('tokens'), c.token)
  redis.call('SREM', k('open'), cid)
  drop_backup(cid)
  for node, _ in pairs(hash(k('cv', cid)) or {}) do
    redis.call('SREM', k('nv', node), cid)
  end
  redis.call('DEL', k('c', cid), k('cv', cid), k('w', cid), k('m', cid), k('mid', cid))
end

-- the conversation changes hands: holder, both loads, the new holder's seat as reader-along
local function transfer(cid, c, to, now)
  local previous = c.op
  redis.call('HSET', k('c', cid), 'op', to)
  redis.call('SADD', k('ph', to), cid)
  redis.call('HDEL', k('w', cid), to)
  if previous ~= '' and previous ~= to and redis.call('EXISTS', k('p', previous)) == 1 then
    redis.call('SREM', k('ph', previous), cid)
    redis.call('SREM', k('pt', previous), cid)
    redis.call('HSET', k('p', previous), 'idle', now)
  end
  return previous
end

-- the arrival's fields are ARGV[2..10]: id, line, lang, token hash, priority, last seq,
-- created at, intake (JSON), shared connection (enqueue, arrive_agreed and restore alike).
-- From a node whose lease lapsed, the visitor arrives with no connection (its grace period
-- runs, as after a restore): that node lets its sockets go, and the visitor resumes on a
-- live one.
local function put_on_floor(node, now)
  local cid, line, token = ARGV[2], ARGV[3], ARGV[5]
  local gone = now
  if node ~= '' and not lapsed(node) then
    redis.call('HSET', k('cv', cid), node, 1)
    redis.call('SADD', k('nv', node), cid)
    gone = ''
  end
  redis.call('HSET', k('c', cid), 'line', line, 'lang', ARGV[4], 'state', 'waiting', 'op', '',
    'prio', ARGV[6], 'token', token, 'seq', ARGV[7], 'answered', '0', 'gone', gone,
    'triaged', '0', 'created', ARGV[8], 'intake', ARGV[9], 'shared', ARGV[10], 'risk', 'none',
    'assigned', '', 'pinned', '', 'forgotten', '0')
  redis.call('SADD', k('open'), cid)
  redis.call('HSET', k('tokens'), token, cid)
  redis.call('SADD', k('lines'), line)
  return hash(k('c', cid))
end

-- into its line's queue: at the back (the `next` counter) or before everyone (the `front`
-- counter: a hand-back, a lost volunteer's chat, an agreed chat whose volunteer is away)
local function queue_up(cid, c, now, front, avoid, avoid_until)
  local rank
  if front then
    rank = redis.call('HINCRBY', k('ranks'), 'front', -1)
  else
    rank = redis.call('HINCRBY', k('ranks'), 'next', 1)
  end
  redis.call('HSET', k('c', cid), 'state', 'waiting', 'op', '', 'rank', rank, 'since', now,
    'avoid', avoid or '', 'avoid_until', avoid_until or '0')
  redis.call('ZADD', k('q', c.line), score(c.prio, rank), cid)
  return rank
end

-- held by op from now; beyond capacity (counted as taken over) when `beyond`
local function hold(cid, op, now, beyond)
  redis.call('HSET', k('c', cid), 'state', 'active', 'op', op)
  redis.call('SADD', k('ph', op), cid)
  if beyond then redis.call('SADD', k('pt', op), cid) end
  redis.call('HSET', k('p', op), 'idle', now)
end

-- byte order, as Python sorts ids: Lua's `<` collates by Redis's locale
local function before(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local function presence_out(op)
  local p = hash(k('p', op))
  if not p then return {} end
  return {op, p.alias, p.role, p.lines, p.langs, p.cap, p.backup, p.state,
    tostring(links(k('pc', op))), p.disc, p.idle, p.cool,
    redis.call('SMEMBERS', k('ph', op)), redis.call('SMEMBERS', k('pr', op)),
    redis.call('SMEMBERS', k('pt', op))}
end

local function conversation_out(cid)
  local c = hash(k('c', cid))
  if not c then return {} end
  return {cid, c.line, c.lang, c.state, c.op, c.prio, c.token, c.seq, c.answered,
    tostring(links(k('cv', cid))), c.gone, c.created or '0', c.intake or '{}', c.shared or '0',
    c.risk or 'none', c.assigned or '', c.pinned or '', c.forgotten or '0'}
end

local function entry_out(cid)
  local c = hash(k('c', cid))
  return {cid, c.line, c.lang, c.prio, c.rank, c.since, c.avoid, c.avoid_until}
end

local function backup_out(b)
  return {b.requester, b.reason, b.at, b.esc}
end

