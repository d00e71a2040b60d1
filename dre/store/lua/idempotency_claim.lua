-- idempotency_claim.lua: the first request with an Idempotency-Key claims it; later ones see
-- either the stored first answer or that the first one is still in flight.
--
-- KEYS[1] idempotency hash
-- ARGV[1] owner token of this request (random)   ARGV[2] request fingerprint (hash of the body)
-- ARGV[3] in-flight ttl (ms): a claim whose owner died is freed after this
--
-- A claim left UNKNOWN (the first attempt lost a store reply: idempotency_release.lua) is taken
-- over by a retry of the same request, which runs again and meets the first attempt's journaled
-- store replies (actors/operation.py); another body under that key is still a MISMATCH.
--
-- Returns {"CLAIMED"} | {"IN_PROGRESS"} | {"MISMATCH"} (same key, different request body)
--       | {"DONE", httpStatus, body}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  redis.call('HSET', KEYS[1], 'state', 'PENDING', 'owner', ARGV[1], 'fingerprint', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'CLAIMED'}
end
if redis.call('HGET', KEYS[1], 'fingerprint') ~= ARGV[2] then return {'MISMATCH'} end
if state == 'PENDING' then return {'IN_PROGRESS'} end
if state == 'UNKNOWN' then
  redis.call('HSET', KEYS[1], 'state', 'PENDING', 'owner', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'CLAIMED'}
end
local done = redis.call('HMGET', KEYS[1], 'status', 'body')
return {'DONE', tonumber(done[1]), done[2]}
