-- idempotency_release.lua: give up a claim without an answer to keep (the request failed in a
-- way a retry may fix, e.g. 503), so that the client's retry runs instead of waiting.
--
-- KEYS[1] idempotency hash
-- ARGV[1] owner token
--
-- Returns 1 if released, 0 if the claim was not (or no longer) this owner's.
local f = redis.call('HMGET', KEYS[1], 'state', 'owner')
if f[1] ~= 'PENDING' or f[2] ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
