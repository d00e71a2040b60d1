-- audit_append.lua: list one calculation audit record in the tenant's audit log, once per id: a
-- side-effects job that runs again lists nothing twice. The record itself (SET NX with its TTL,
-- in its transaction's slot) is written by the caller before; the log is in parts (one per job
-- queue bucket, dre/store/keys.py audit_logs), each a sorted set by time, capped.
--
-- KEYS[1] the audit log part (zset audit id -> when it was listed, ms)
-- ARGV[1] audit id   ARGV[2] now (ms)   ARGV[3] cap of this part
--
-- Returns 1 if the id was listed now, 0 if it was listed already.
if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) == 0 then return 0 end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
return 1
