-- coupon_validate.lua: is a code usable now? Read only, except that an expired reservation of
-- the code is released first (lazy expiry).
--
-- KEYS[1] coupon hash          KEYS[2] per-customer uses hash   KEYS[3] holds zset (GENERIC)
-- KEYS[4] bytxn hash           KEYS[5] tenant expiry zset
-- ARGV[1] code   ARGV[2] now (ms)   ARGV[3] customerId or ""   ARGV[4] transactionId or ""
--
-- Returns {status, reason, couponTypeId, promotionIdsJSON, validTo, valid (0|1), heldRid}
--   status: the effective state ("" for an unknown code; EXPIRED once validTo has passed);
--   reason: "" when valid, else INVALID, NOT_ACTIVE, EXPIRED, ALREADY_REDEEMED,
--           RESERVED_ELSEWHERE, LIMIT_REACHED or NOT_FOR_CUSTOMER;
--   heldRid: the reservation this transactionId holds on the code ("" if none) - a code
--            reserved by the asking transaction itself is valid for it.
local code, now, customer, txn = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local c = hgetall(KEYS[1])
if c.status == nil then
  return {'', 'INVALID', '', '[]', '', 0, ''}
end
c = release_expired(c, KEYS[1], KEYS[3], KEYS[5], code, now)

local status = c.status
local valid_to = num(c.validTo, nil)
if (status == 'ACTIVE' or status == 'CREATED') and valid_to and now > valid_to then
  status = 'EXPIRED'
end

local held = held_entry(c, KEYS[4], KEYS[3], txn, now)
local reason
if held then
  if customer_limit_reached(c, KEYS[2], customer) then reason = 'LIMIT_REACHED' end
else
  reason = unusable_reason(c, KEYS[3], KEYS[2], now, customer)
end
return {status, reason or '', c.typeId or '', c.promotionIds or '[]', c.validTo or '',
        reason and 0 or 1, held and held.rid or ''}
