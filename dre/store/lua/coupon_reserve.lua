-- coupon_reserve.lua: ACTIVE -> RESERVED for one transaction (a GENERIC code: one more hold,
-- counted against maxRedemptions while it is held). Idempotent per (code, transactionId): while
-- that transaction's reservation is held (or after it was redeemed) the first answer is returned
-- and nothing changes.
--
-- KEYS[1] coupon hash   KEYS[2] per-customer uses hash   KEYS[3] holds zset   KEYS[4] bytxn hash
-- KEYS[5] tenant expiry zset   KEYS[6] reservation index hash of the NEW reservationId
-- ARGV[1] code   ARGV[2] transactionId   ARGV[3] customerId or ""   ARGV[4] now (ms)
-- ARGV[5] reservation ttl (ms)   ARGV[6] new reservationId (random, from Python)
-- ARGV[7] ttl of the reservation index (ms)
--
-- Returns {reservationId, expiresAt, replayed (0|1)}
-- Errors: NOT_FOUND code (unknown code); COUPON_UNAVAILABLE code reason (reason as in
--         coupon_validate.lua).
local code, txn, customer = ARGV[1], ARGV[2], ARGV[3]
local now, ttl, rid, index_ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])

local c = hgetall(KEYS[1])
if c.status == nil then return fail('NOT_FOUND', code, 'unknown coupon code') end
c = release_expired(c, KEYS[1], KEYS[3], KEYS[5], code, now)

local prior = get_entry(KEYS[4], txn)
if prior and prior.rid ~= '' then
  local st = entry_state(prior, now)
  if (st == 'RESERVED' and held_entry(c, KEYS[4], KEYS[3], txn, now)) or st == 'REDEEMED' then
    return {prior.rid, tonumber(prior.expiresAt), 1}
  end
end

local reason = unusable_reason(c, KEYS[3], KEYS[2], now, customer)
if reason then return fail('COUPON_UNAVAILABLE', code, reason) end

local expires = now + ttl
if c.kind == 'GENERIC' then
  redis.call('ZADD', KEYS[3], expires, rid)
else
  redis.call('HSET', KEYS[1], 'status', 'RESERVED', 'reservationId', rid,
             'reservedTxn', txn, 'reservedUntil', expires)
end
-- LT: the index keeps the EARLIEST expiry of the code (added if absent).
redis.call('ZADD', KEYS[5], 'LT', expires, code)
put_entry(KEYS[4], txn, {rid = rid, expiresAt = expires, state = 'RESERVED', customerId = customer})
redis.call('HSET', KEYS[6], 'code', code, 'transactionId', txn, 'customerId', customer)
redis.call('PEXPIRE', KEYS[6], index_ttl)
return {rid, expires, 0}
