-- coupon_validate.lua: is a code usable now? Read only, except that an expired reservation of
-- the code is released first (lazy expiry).
--
-- KEYS[1]..KEYS[7] the code's keys (see code_keys in _common.lua)   KEYS[8] tenant expiry zset
-- ARGV[1] code   ARGV[2] now (ms)   ARGV[3] customerId or ""   ARGV[4] transactionId or ""
-- ARGV[5] the code's typeId as read before the call ("" if the code did not exist)
--
-- Returns {status, reason, couponTypeId, promotionIdsJSON, validTo, valid (0|1), heldRid, stackable (0|1)}
--   status: the effective state ("" for an unknown code; EXPIRED once validTo has passed);
--   reason: "" when valid, else INVALID, NOT_ACTIVE (also: its coupon type is INACTIVE), EXPIRED,
--           ALREADY_REDEEMED, RESERVED_ELSEWHERE, LIMIT_REACHED, NOT_FOR_CUSTOMER or CANCELLED;
--   heldRid: the reservation this transactionId holds on the code ("" if none) - a code
--            reserved by the asking transaction itself is valid for it;
--   stackable: 0 when the code's type says isStackable false (not combined with other codes).
local code, now, customer, txn = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local k = code_keys(1)
local c = load_code(k, ARGV[5])
if c == nil then
  return {'', 'INVALID', '', '[]', '', 0, '', 1}
end
c = release_expired(c, k, KEYS[8], code, now)

local status = c.status
local valid_to = num(c.validTo, nil)
if (status == 'ACTIVE' or status == 'CREATED') and valid_to and now > valid_to then
  status = 'EXPIRED'
end

local held, reason = use_verdict(c, k, txn, now, customer)
local stackable = c._type.stackable
if stackable == nil then  -- a type written before the field existed: its document says
  local doc = redis.call('HGET', k.ctype, 'json')
  if doc then stackable = cjson.decode(doc).isStackable == false and '0' or '1' end
end
stackable = stackable == '0' and 0 or 1
return {status, reason or '', c.typeId or '', c.promotionIds or '[]', c.validTo or '',
        reason and 0 or 1, held and held.rid or '', stackable}
