-- coupon_redeem.lua: RESERVED -> REDEEMED through a reservation (a GENERIC code: the hold
-- becomes a use). Not idempotent: a second redeem is an error.
--
-- KEYS[1]..KEYS[7] the code's keys (see code_keys in _common.lua)   KEYS[8] tenant expiry zset
-- KEYS[#KEYS-1] code change log zset   KEYS[#KEYS] its sequence counter (log_codes in _common.lua)
-- ARGV[1] code   ARGV[2] transactionId of the reservation   ARGV[3] reservationId   ARGV[4] now
-- ARGV[5] the code's typeId
-- At a local instance: KEYS[9..11], ARGV[6..7] the coupon calls' queue,
-- before the log's two keys (queue_for_central)
--
-- Returns {code, transactionId, customerId}
-- Errors: NOT_FOUND rid (no such reservation on this code); ALREADY_REDEEMED rid;
--         COUPON_UNAVAILABLE code EXPIRED|CANCELLED (voided)|NOT_ACTIVE (type INACTIVE)|LIMIT_REACHED.
local code, txn, rid, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local k = code_keys(1)
local c, e, st, not_found = find_reservation(k, KEYS[8], code, ARGV[5], txn, rid, now)
if not_found then return not_found end
if st == 'REDEEMED' then return fail('ALREADY_REDEEMED', rid, 'reservation already redeemed') end
if c.status == 'CANCELLED' then return fail('COUPON_UNAVAILABLE', code, 'CANCELLED') end
if st ~= 'RESERVED' or not held_entry(c, k, txn, now) then
  return fail('COUPON_UNAVAILABLE', code, st == 'RESERVED' and 'EXPIRED' or st)
end
local customer = e.customerId or ''
local reason = held_reason(c, k, customer)
if reason then return fail('COUPON_UNAVAILABLE', code, reason) end
consume_coupon(c, k, KEYS[8], code, txn, customer, e, now)
queue_for_central(9, 6)
log_codes({code})
return {code, txn, customer}
