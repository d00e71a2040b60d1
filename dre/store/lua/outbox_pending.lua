-- outbox_pending.lua: how many transactions a local instance confirmed and central has not yet
-- accepted - in the outbox, or on their way into it (side-effects job queued or running) - read
-- in one step, so a job moving into the outbox meanwhile is counted once. Writes nothing.
--
-- KEYS[1] outbox list   KEYS[2] outbox items hash   KEYS[3] job queue list   KEYS[4] job leases zset
-- ARGV[1] (none: the script takes no arguments)
--
-- Returns the count.
local n = redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[3])
for _, id in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
  if redis.call('HEXISTS', KEYS[2], id) == 0 then n = n + 1 end
end
return n
