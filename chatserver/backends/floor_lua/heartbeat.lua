-- ARGV: prefix, node, ttl in ms. Only extends a lease that still runs: a node whose lease
-- lapsed may have been reaped already and must not come back silently.
if not redis.call('SET', k('node', ARGV[2]), '1', 'XX', 'PX', ARGV[3]) then return {'ok', '0'} end
return {'ok', '1'}
