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
local collided = {0}
for i = 2, #KEYS - 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then collided[#collided + 1] = ARGV[3 + 2 * i] end
end
if #collided > 1 then return collided end
local made = {}
for i = 2, #KEYS - 2 do
  local code = ARGV[3 + 2 * i]
  redis.call('HSET', KEYS[i], 'code', code, 'status', 'ACTIVE', 'kind', 'INDIVIDUAL',
             'typeId', ARGV[2], 'customerId', ARGV[4 + 2 * i], 'validFrom', ARGV[3],
             'validTo', ARGV[4], 'max', 1, 'maxPerCustomer', 1, 'uses', 0,
             'promotionIds', ARGV[5], 'createdAt', ARGV[6], 'activatedAt', ARGV[6])
  made[#made + 1] = code
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(made))
log_codes(made)
local out = {1}
for _, c in ipairs(made) do out[#out + 1] = c end
return out
