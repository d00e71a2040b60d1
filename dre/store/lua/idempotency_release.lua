-- idempotency_release.lua: give up a claim without an answer to keep (the request failed in a
-- way a retry may fix, e.g. 503), so that the client's retry runs instead of waiting.
--
-- KEYS[1] idempotency hash
-- ARGV[1] owner token   ARGV[2] "" to drop the claim (nothing was done), or the ttl (ms) to keep
--   it as UNKNOWN: a store reply was lost, so the first attempt may have changed something, and
--   only a retry of the same request body may run (and find the journaled outcome)
--
-- Returns 1 if released, 0 if the claim was not (or no longer) this owner's.
local f = redis.call('HMGET', KEYS[1], 'state', 'owner')
if f[1] ~= 'PENDING' or f[2] ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'state', 'UNKNOWN')
  redis.call('HDEL', KEYS[1], 'owner')
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
