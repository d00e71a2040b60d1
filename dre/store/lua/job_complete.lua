-- job_complete.lua: mark a job COMPLETED with its results. Idempotent per job id: the first
-- completion wins, a later one (a duplicate delivery) changes nothing. A completed job never
-- runs again, so its payload (the priced iteration, the largest field) is dropped and the job
-- is kept only as long as its status is worth looking at (ARGV[4]). (Its queue entry, in its
-- bucket's slot, is removed by the caller after this.)
--
-- KEYS[1] job hash
-- ARGV[1] job id   ARGV[2] results (JSON)   ARGV[3] now (ms)   ARGV[4] ttl of the completed job (ms)
--
-- Returns 1 if this call completed the job, 0 if it was already completed.
if redis.call('HGET', KEYS[1], 'status') == 'COMPLETED' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'COMPLETED', 'results', ARGV[2], 'completedAt', ARGV[3])
redis.call('HDEL', KEYS[1], 'payload')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
