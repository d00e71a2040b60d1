-- import_fail.lua: end an article import job as FAILED (its input cannot be processed), by the
-- lease holder only. Chunks not processed yet are dropped by their own TTL.
--
-- The caller then removes the job from the tenant's pending set (store.imports.settle).
--
-- KEYS[1] job hash   KEYS[2] job's error list
-- ARGV[1] owner   ARGV[2] reason   ARGV[3] now (ms)   ARGV[4] finished-job ttl (ms)   ARGV[5] job id
--
-- Returns 1 if the job was failed, 0 if the caller does not hold its lease.
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', 'FAILED', 'lastError', ARGV[2], 'completedAt', ARGV[3], 'owner', '')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
