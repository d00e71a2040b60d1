-- job_fail.lua: a job attempt failed. PENDING again while attempts remain (the caller makes its
-- queue entry claimable again), else FAILED (the caller drops the entry). A job already
-- COMPLETED stays so.
--
-- KEYS[1] job hash
-- ARGV[1] job id   ARGV[2] error text   ARGV[3] now (ms)   ARGV[4] max attempts
-- ARGV[5] ttl of a FAILED job (ms): kept, payload and all, for an operator to look at and replay
--
-- Returns the job's status afterwards: PENDING (will retry), FAILED or COMPLETED.
local f = redis.call('HMGET', KEYS[1], 'status', 'attempts')
if f[1] == 'COMPLETED' or f[1] == 'FAILED' then return f[1] end
if not f[1] then return 'FAILED' end
if tonumber(f[2] or 0) >= tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[1], 'status', 'FAILED', 'lastError', ARGV[2], 'completedAt', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 'FAILED'
end
redis.call('HSET', KEYS[1], 'status', 'PENDING', 'lastError', ARGV[2])
return 'PENDING'
