-- coupon_issue.lua: create personalised codes for customers, status CREATED.
-- The codes are drawn in Python (secrets); all or nothing: if any code already exists, nothing
-- is created and the colliding codes are returned so that Python draws new ones and retries.
--
-- KEYS[1..n] coupon hash of each new code
-- KEYS[n+1..2n] the customer's code index (customer_coupons) of code i's customer
-- KEYS[#KEYS-1] code change log zset   KEYS[#KEYS] its sequence counter (log_codes in _common.lua)
-- ARGV[1] couponTypeId   ARGV[2] validFrom (ms or "")   ARGV[3] validTo (ms or "")
-- ARGV[4] promotionIds (JSON)   ARGV[5] now (ms)
-- ARGV[4+2i], ARGV[5+2i]  code i and the customerId it is issued to (i = 1..n)
--
-- Returns {1, code 1, ..., code n} when all were created (the codes: a journaled replay of this
-- call, see actors/operation.py, answers the codes of its first run), else {0, colliding code, ...}.
local n = (#KEYS - 2) / 2
local made = create_codes(0, 0, n, 'CREATED')
if made[1] == 1 then
  for i = 1, n do redis.call('SADD', KEYS[n + i], ARGV[4 + 2 * i]) end
end
return made
