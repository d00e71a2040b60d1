-- job_claim.lua: take the next side-effects job id off the queue and lease it to the caller.
-- The job stays in the lease set until completed or failed; job_recover.lua re-queues a lease
-- that ran out (its worker died), so no confirmed job is lost.
--
-- KEYS[1] job queue list   KEYS[2] lease zset
-- ARGV[1] now (ms)   ARGV[2] lease (ms)
--
-- Returns the job id, or nil when the queue is empty.
local id = redis.call('RPOP', KEYS[1])
if not id then return false end
redis.call('ZADD', KEYS[2], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
return id
