-- job_fail.lua: a job attempt failed. Re-queue it (at the back) while attempts remain, else
-- mark it FAILED. A job already COMPLETED stays so.
--
-- KEYS[1] job hash   KEYS[2] lease zset   KEYS[3] job queue list
-- ARGV[1] job id   ARGV[2] error text   ARGV[3] now (ms)   ARGV[4] max attempts
-- ARGV[5] ttl of a FAILED job (ms): kept, payload and all, for an operator to look at and replay
--
-- Returns the job's status afterwards: PENDING (will retry), FAILED or COMPLETED.
redis.call('ZREM', KEYS[2], ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'status', 'attempts')
if f[1] == 'COMPLETED' or f[1] == 'FAILED' then return f[1] end
if not f[1] then return 'FAILED' end
if tonumber(f[2] or 0) >= tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[1], 'status', 'FAILED', 'lastError', ARGV[2], 'completedAt', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 'FAILED'
end
redis.call('HSET', KEYS[1], 'status', 'PENDING', 'lastError', ARGV[2])
redis.call('LPUSH', KEYS[3], ARGV[1])
return 'PENDING'
