-- coupon_grant.lua: post-purchase codes of one grant of a side-effects job (an ISSUE_COUPON
-- promotion applied by a confirmed iteration), created ACTIVE for their owner, exactly once per
-- grant: the grant's codes are recorded in the marker hash (the job's hash) in the same step, so
-- a job that runs again after a crash gets the same codes back instead of new ones.
-- The codes are drawn in Python (secrets); if any already exists, nothing is written and the
-- colliding codes are returned so that Python draws new ones and retries.
--
-- KEYS[1] marker hash (field = grant id)   KEYS[2..n+1] coupon hash of each new code
-- KEYS[#KEYS-1] code change log zset   KEYS[#KEYS] its sequence counter (log_codes in _common.lua)
-- ARGV[1] grant id (field of the marker)   ARGV[2] couponTypeId   ARGV[3] validFrom (ms or "")
-- ARGV[4] validTo (ms or "")   ARGV[5] promotionIds (JSON)   ARGV[6] now (ms)
-- ARGV[5+2i], ARGV[6+2i]  code i and the customerId that owns it ("" = anyone) (i = 1..n)
--
-- Returns {2, code, ...} the grant was made before (its codes), {1, code, ...} created now,
--         {0, colliding code, ...} nothing written.
local done = redis.call('HGET', KEYS[1], ARGV[1])
if done then
  local out = {2}
  for _, c in ipairs(cjson.decode(done)) do out[#out + 1] = c end
  return out
end
local made = create_codes(1, 1, #KEYS - 3, 'ACTIVE', {'activatedAt', ARGV[6]})
if made[1] == 1 then redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({unpack(made, 2)})) end
return made
