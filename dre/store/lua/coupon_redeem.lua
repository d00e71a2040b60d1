-- coupon_redeem.lua: RESERVED -> REDEEMED through a reservation (a GENERIC code: the hold
-- becomes a use). Not idempotent: a second redeem is an error.
--
-- KEYS[1] coupon hash   KEYS[2] per-customer uses hash   KEYS[3] holds zset   KEYS[4] bytxn hash
-- KEYS[5] tenant expiry zset
-- ARGV[1] code   ARGV[2] transactionId of the reservation   ARGV[3] reservationId   ARGV[4] now
--
-- Returns {code, transactionId, customerId}
-- Errors: NOT_FOUND rid (no such reservation on this code); ALREADY_REDEEMED rid;
--         COUPON_UNAVAILABLE code EXPIRED|CANCELLED|LIMIT_REACHED.
local code, txn, rid, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local c, e, st, not_found = find_reservation(KEYS[1], KEYS[3], KEYS[4], KEYS[5], code, txn, rid, now)
if not_found then return not_found end
if st == 'REDEEMED' then return fail('ALREADY_REDEEMED', rid, 'reservation already redeemed') end
if st ~= 'RESERVED' or not held_entry(c, KEYS[4], KEYS[3], txn, now) then
  return fail('COUPON_UNAVAILABLE', code, st == 'RESERVED' and 'EXPIRED' or st)
end
local customer = e.customerId or ''
if customer_limit_reached(c, KEYS[2], customer) then
  return fail('COUPON_UNAVAILABLE', code, 'LIMIT_REACHED')
end
consume_coupon(c, {KEYS[1], KEYS[2], KEYS[3], KEYS[4]}, KEYS[5], code, txn, customer, e, now)
return {code, txn, customer}
