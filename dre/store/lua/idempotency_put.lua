-- idempotency_put.lua: store the first answer under a claimed Idempotency-Key for its ttl.
-- Only the owner of the claim may store (a request whose claim lapsed must not overwrite).
--
-- KEYS[1] idempotency hash
-- ARGV[1] owner token   ARGV[2] HTTP status   ARGV[3] body   ARGV[4] ttl (ms, 24 h)
--
-- Returns 1 if stored, 0 if the claim was not (or no longer) this owner's.
local f = redis.call('HMGET', KEYS[1], 'state', 'owner')
if f[1] ~= 'PENDING' or f[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'DONE', 'status', ARGV[2], 'body', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
