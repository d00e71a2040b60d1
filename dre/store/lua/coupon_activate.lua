-- coupon_activate.lua: CREATED -> ACTIVE for one customer. A code issued to a customer can only
-- be activated by that customer; an unbound CREATED code becomes bound to the activating one.
-- Idempotent: activating an ACTIVE code of the same customer answers the same.
-- Not for a code of an INACTIVE coupon type (NOT_ACTIVE), nor for a GENERIC code: the shared code
-- follows its type's status and is never bound to one customer.
--
-- KEYS[1]..KEYS[7] the code's keys (see code_keys in _common.lua)
-- KEYS[8] the activating customer's code index (customer_coupons)
-- KEYS[#KEYS-1] code change log zset   KEYS[#KEYS] its sequence counter (log_codes in _common.lua)
-- ARGV[1] code   ARGV[2] customerId   ARGV[3] now (ms)   ARGV[4] the code's typeId
--
-- Returns {code, status, customerId}
-- Errors: NOT_FOUND code; COUPON_UNAVAILABLE code NOT_FOR_CUSTOMER|NOT_ACTIVE|GENERIC|<status>|EXPIRED.
local code, customer, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local k = code_keys(1)
local c = load_code(k, ARGV[4])
if c == nil then return fail('NOT_FOUND', code, 'unknown coupon code') end
local owner = c.customerId or ''
if owner ~= '' and owner ~= customer then
  return fail('COUPON_UNAVAILABLE', code, 'NOT_FOR_CUSTOMER')
end
if c.status == 'CANCELLED' then return fail('COUPON_UNAVAILABLE', code, 'CANCELLED') end
if c._type.status == 'INACTIVE' then return fail('COUPON_UNAVAILABLE', code, 'NOT_ACTIVE') end
if c.kind == 'GENERIC' then return fail('COUPON_UNAVAILABLE', code, 'GENERIC') end
if c.status == 'ACTIVE' and owner == customer then return {code, 'ACTIVE', customer} end
if c.status ~= 'CREATED' then return fail('COUPON_UNAVAILABLE', code, c.status) end
local valid_to = num(c.validTo, nil)
if valid_to and now > valid_to then return fail('COUPON_UNAVAILABLE', code, 'EXPIRED') end
redis.call('HSET', KEYS[1], 'status', 'ACTIVE', 'customerId', customer, 'activatedAt', now)
redis.call('SADD', KEYS[8], code)
log_codes({code})
return {code, 'ACTIVE', customer}
