-- audit_append.lua: keep one calculation audit record (what a confirmed iteration was priced
-- with), once per id: a side-effects job that runs again writes nothing new. The record expires
-- by itself; the tenant's log of ids is a capped list (newest first), so neither grows without
-- bound.
--
-- KEYS[1] audit record string   KEYS[2] tenant audit log list
-- ARGV[1] audit id   ARGV[2] record (JSON)   ARGV[3] record ttl (ms)   ARGV[4] log length cap
--
-- Returns 1 if the record was written now, 0 if it existed already.
if not redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', tonumber(ARGV[3])) then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
return 1
