-- job_claim.lua: lease the next side-effects job of one queue bucket to the caller. A bucket is
-- a sorted set: job id -> when it may be claimed (ms): its enqueue time plus a short hold, or
-- the deadline of the lease a worker holds. Claiming moves that time to the end of the lease, so
-- a job whose worker died becomes claimable again by itself; completing (or failing for good)
-- removes it.
--
-- KEYS[1] queue bucket zset; KEYS[2..]: more buckets (ordered claims of a store on one node, a
--         local instance): the oldest claimable entry of them all (by time, then job id)
-- ARGV[1] now (ms)   ARGV[2] lease (ms)
--
-- Returns the job id, or nil when nothing in the buckets is claimable.
local best, bucket, at
for i = 1, #KEYS do
  local first = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, 1)
  if #first > 0 then
    local score = tonumber(first[2])
    if best == nil or score < at or (score == at and first[1] < best) then
      best, bucket, at = first[1], KEYS[i], score
    end
  end
end
if best == nil then return false end
redis.call('ZADD', bucket, 'XX', tonumber(ARGV[1]) + tonumber(ARGV[2]), best)
return best
