-- job_claim.lua: lease the next side-effects job of one queue bucket to the caller. A bucket is
-- a sorted set: job id -> when it may be claimed (ms): its enqueue time plus a short hold, or
-- the deadline of the lease a worker holds. Claiming moves that time to the end of the lease, so
-- a job whose worker died becomes claimable again by itself; completing (or failing for good)
-- removes it.
--
-- KEYS[1] queue bucket zset
-- ARGV[1] now (ms)   ARGV[2] lease (ms)
--
-- Returns the job id, or nil when nothing in the bucket is claimable.
local first = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
if #first == 0 then return false end
redis.call('ZADD', KEYS[1], 'XX', tonumber(ARGV[1]) + tonumber(ARGV[2]), first[1])
return first[1]
