-- coupon_cancel.lua: RESERVED -> ACTIVE (a GENERIC code: the hold is dropped). Idempotent: a
-- reservation already cancelled or expired answers the same and changes nothing. (Releasing a
-- reservation of a code voided meanwhile is harmless: it answers CANCELLED too.)
--
-- KEYS[1]..KEYS[7] the code's keys (see code_keys in _common.lua)   KEYS[8] tenant expiry zset
-- KEYS[#KEYS-1] code change log zset   KEYS[#KEYS] its sequence counter (log_codes in _common.lua)
-- ARGV[1] code   ARGV[2] transactionId of the reservation   ARGV[3] reservationId   ARGV[4] now
-- ARGV[5] the code's typeId
-- At a local instance: KEYS[9..11], ARGV[6..7] the coupon calls' queue,
-- before the log's two keys (queue_for_central;
-- only when this call released the hold: a cancel that changes nothing is not sent)
--
-- Returns {code, state}: state CANCELLED (before) or EXPIRED (it had lapsed already); {code,
-- 'CANCELLED', 1} when this call released the hold (the change the code log records).
-- Errors: NOT_FOUND rid; COUPON_UNAVAILABLE code REDEEMED (too late to cancel).
local code, txn, rid, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local k = code_keys(1)
local c, e, st, not_found = find_reservation(k, KEYS[8], code, ARGV[5], txn, rid, now)
if not_found then return not_found end
if st == 'REDEEMED' then return fail('COUPON_UNAVAILABLE', code, 'REDEEMED') end
if st ~= 'RESERVED' then return {code, st} end

if c.kind == 'GENERIC' then
  drop_holds(k, {rid})
elseif c.status == 'RESERVED' and c.reservationId == rid then
  redis.call('HSET', k.coupon, 'status', 'ACTIVE')
  drop_reservation(c, k)
  c.status = 'ACTIVE'
end
reindex_expiry(c, k, KEYS[8], code)
e.state = 'CANCELLED'
keep_entry(k.bytxn, txn, e, now)  -- an INDIVIDUAL code's first, unless reserved by an earlier release
queue_for_central(9, 6)
log_codes({code})
return {code, 'CANCELLED', 1}
