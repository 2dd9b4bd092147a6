-- ARGV: prefix, conversation id, line, lang, token hash, priority, last seq, node, now, limit
local cid, line, lang, token, prio = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local last_seq, node, now, limit = ARGV[7], ARGV[8], ARGV[9], tonumber(ARGV[10])
if redis.call('SISMEMBER', k('open'), cid) == 1 then return refuse('in_use') end
if redis.call('ZCARD', k('q', line)) >= limit then return refuse('queue_full') end
local rank = redis.call('HINCRBY', k('ranks'), 'next', 1)
local gone = now
if node ~= '' then
  redis.call('HSET', k('cv', cid), node, 1)
  redis.call('SADD', k('nv', node), cid)
  gone = ''
end
redis.call('HSET', k('c', cid), 'line', line, 'lang', lang, 'state', 'waiting', 'op', '',
  'prio', prio, 'token', token, 'seq', last_seq, 'rank', rank, 'since', now, 'avoid', '',
  'avoid_until', '0', 'answered', '0', 'gone', gone, 'triaged', '0')
redis.call('SADD', k('open'), cid)
redis.call('HSET', k('tokens'), token, cid)
redis.call('SADD', k('lines'), line)
redis.call('ZADD', k('q', line), score(prio, rank), cid)
return {'ok', entry_out(cid)}
