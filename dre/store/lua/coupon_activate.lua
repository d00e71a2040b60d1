-- coupon_activate.lua: CREATED -> ACTIVE for one customer. A code issued to a customer can only
-- be activated by that customer; an unbound CREATED code becomes bound to the activating one.
-- Idempotent: activating an ACTIVE code of the same customer answers the same.
--
-- KEYS[1] coupon hash   KEYS[2] the activating customer's code index (customer_coupons)
-- ARGV[1] code   ARGV[2] customerId   ARGV[3] now (ms)
--
-- Returns {code, status, customerId}
-- Errors: NOT_FOUND code; COUPON_UNAVAILABLE code NOT_FOR_CUSTOMER|<status>|EXPIRED.
local code, customer, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local c = hgetall(KEYS[1])
if c.status == nil then return fail('NOT_FOUND', code, 'unknown coupon code') end
local owner = c.customerId or ''
if owner ~= '' and owner ~= customer then
  return fail('COUPON_UNAVAILABLE', code, 'NOT_FOR_CUSTOMER')
end
if c.status == 'ACTIVE' and owner == customer then return {code, 'ACTIVE', customer} end
if c.status ~= 'CREATED' then return fail('COUPON_UNAVAILABLE', code, c.status) end
local valid_to = num(c.validTo, nil)
if valid_to and now > valid_to then return fail('COUPON_UNAVAILABLE', code, 'EXPIRED') end
redis.call('HSET', KEYS[1], 'status', 'ACTIVE', 'customerId', customer, 'activatedAt', now)
redis.call('SADD', KEYS[2], code)
return {code, 'ACTIVE', customer}
