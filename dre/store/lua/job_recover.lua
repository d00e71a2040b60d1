-- job_recover.lua: make the jobs of one queue bucket whose lease ends by ARGV[1] claimable now.
-- (A lease that ran out makes its job claimable by itself; this brings the moment forward: at
-- start-up of the only worker of a tenant, every lease is a dead worker's.)
--
-- KEYS[1] queue bucket zset
-- ARGV[1] leases ending at or before this (ms, or +inf)   ARGV[2] max jobs   ARGV[3] now (ms)
--
-- Returns the number of jobs made claimable (those that were not yet).
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[3], ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], 'XX', ARGV[3], id) end
return #ids
