-- outbox_pending.lua: how many transactions a local instance confirmed and central has not yet
-- accepted - in the outbox, or on their way into it (side-effects job queued or running) - read
-- in one step, so a job moving into the outbox meanwhile is counted once. Writes nothing. The job
-- of a transaction central accepted before it was committed here (outbox_accepted.lua: settled
-- from the start) is not counted.
-- (A local instance runs on one Redis node: the job queue buckets, each with its own hash tag,
-- may be read together here; on a cluster this script would be refused as cross-slot.)
--
-- KEYS[1] outbox list   KEYS[2] outbox items hash   KEYS[3] settled hash
-- KEYS[4..] the job queue bucket zsets
-- ARGV[1] (none: the script takes no arguments)
--
-- Returns the count.
local n = redis.call('LLEN', KEYS[1])
for i = 4, #KEYS do
  for _, id in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
    if redis.call('HEXISTS', KEYS[2], id) == 0 and redis.call('HEXISTS', KEYS[3], id) == 0 then n = n + 1 end
  end
end
return n
