-- coupon_cancel.lua: RESERVED -> ACTIVE (a GENERIC code: the hold is dropped). Idempotent: a
-- reservation already cancelled or expired answers the same and changes nothing.
--
-- KEYS[1] coupon hash   KEYS[2] holds zset   KEYS[3] bytxn hash   KEYS[4] tenant expiry zset
-- ARGV[1] code   ARGV[2] transactionId of the reservation   ARGV[3] reservationId   ARGV[4] now
--
-- Returns {code, state}: state CANCELLED (now or before) or EXPIRED (it had lapsed already).
-- Errors: NOT_FOUND rid; COUPON_UNAVAILABLE code REDEEMED (too late to cancel).
local code, txn, rid, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local c, e, st, not_found = find_reservation(KEYS[1], KEYS[2], KEYS[3], KEYS[4], code, txn, rid, now)
if not_found then return not_found end
if st == 'REDEEMED' then return fail('COUPON_UNAVAILABLE', code, 'REDEEMED') end
if st ~= 'RESERVED' then return {code, st} end

if c.kind == 'GENERIC' then
  redis.call('ZREM', KEYS[2], rid)
elseif c.status == 'RESERVED' and c.reservationId == rid then
  redis.call('HSET', KEYS[1], 'status', 'ACTIVE')
  redis.call('HDEL', KEYS[1], 'reservationId', 'reservedTxn', 'reservedUntil')
  c.status = 'ACTIVE'
end
reindex_expiry(c, KEYS[2], KEYS[4], code)
e.state = 'CANCELLED'
put_entry(KEYS[3], txn, e)
return {code, 'CANCELLED'}
