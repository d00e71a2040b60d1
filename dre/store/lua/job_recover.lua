-- job_recover.lua: re-queue jobs whose lease ran out (their worker crashed or was killed).
-- They go to the front of the queue: they are the oldest work. Run at start-up and periodically.
--
-- KEYS[1] lease zset   KEYS[2] job queue list
-- ARGV[1] now (ms): leases ending at or before it are taken back   ARGV[2] max jobs to move
--
-- Returns the number of jobs re-queued.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('RPUSH', KEYS[2], id)
end
return #ids
