-- coupon_void.lua: void a code for good (admin): CREATED, ACTIVE or RESERVED -> CANCELLED, a
-- terminal state: every later validate / reserve / redeem / confirm refuses it (CANCELLED), and a
-- later write of its coupon type does not revive a GENERIC code. Its reservations are dropped.
-- Idempotent: voiding a CANCELLED code answers the same (a code cancelled by deleting its type
-- is marked voided then, so that writing the type again does not bring it back).
--
-- KEYS[1]..KEYS[7] the code's keys (see code_keys in _common.lua)   KEYS[8] tenant expiry zset
-- KEYS[#KEYS-1] code change log zset   KEYS[#KEYS] its sequence counter (log_codes in _common.lua)
-- ARGV[1] code   ARGV[2] now (ms)   ARGV[3] the code's typeId
-- At a local instance: KEYS[9..11], ARGV[4..5] the coupon calls' queue,
-- before the log's two keys (queue_for_central)
--
-- Returns {code, 'CANCELLED', cancelledAt (ms)}
-- Errors: NOT_FOUND code; COUPON_UNAVAILABLE code ALREADY_REDEEMED|EXPIRED (terminal already).
local code, now = ARGV[1], tonumber(ARGV[2])
local k = code_keys(1)
local c = load_code(k, ARGV[3])
if c == nil then return fail('NOT_FOUND', code, 'unknown coupon code') end
if c.status == 'CANCELLED' then  -- voided before, or its type deleted: now for good in any case
  if not c.voidedAt then redis.call('HSET', k.coupon, 'voidedAt', now) end
  return {code, 'CANCELLED', tonumber(c.cancelledAt or now)}
end
if c.status == 'REDEEMED' then return fail('COUPON_UNAVAILABLE', code, 'ALREADY_REDEEMED') end
local valid_to = num(c.validTo, nil)
if c.status == 'EXPIRED' or (valid_to and now > valid_to) then
  return fail('COUPON_UNAVAILABLE', code, 'EXPIRED')
end
retire_reservation(c, k, now)  -- its holder's redeem then hears CANCELLED, not NOT_FOUND
redis.call('HSET', k.coupon, 'status', 'CANCELLED', 'cancelledAt', now, 'voidedAt', now)
redis.call('DEL', k.holds, k.holders)
redis.call('ZREM', KEYS[8], code)
queue_for_central(9, 4)
log_codes({code})
return {code, 'CANCELLED', now}
