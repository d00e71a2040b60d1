-- coupon_reserve.lua: ACTIVE -> RESERVED for one transaction (a GENERIC code: one more hold,
-- counted against maxRedemptions while it is held). Idempotent per (code, transactionId): while
-- that transaction's reservation is held (or after it was redeemed) the first answer is returned
-- and nothing changes, so a transaction never holds a code twice.
--
-- A GENERIC code with a maxRedemptions is shared by every lane: one caller (API key) may hold at
-- most half of the uses left (at least one), so that no single caller can block the code for
-- everyone for the reservation time: other callers always find it reservable while uses remain.
--
-- KEYS[1]..KEYS[7] the code's keys (see code_keys in _common.lua)   KEYS[8] tenant expiry zset
-- KEYS[9] reservation index hash of the NEW reservationId
-- KEYS[#KEYS-1] code change log zset   KEYS[#KEYS] its sequence counter (log_codes in _common.lua)
-- ARGV[1] code   ARGV[2] transactionId   ARGV[3] customerId or ""   ARGV[4] now (ms)
-- ARGV[5] reservation ttl (ms)   ARGV[6] new reservationId (random, from Python)
-- ARGV[7] ttl of the reservation index (ms)   ARGV[8] the code's typeId as read before the call
-- ARGV[9] caller tag ("": not capped)
-- At a local instance: KEYS[10..12], ARGV[10..11] the coupon calls' queue,
-- before the log's two keys (queue_for_central
-- in _common.lua; a replay queues nothing: the first call did)
-- Merged (dre/store/scripts.py MERGED): the reserves of one call share KEYS[6], [7], [8], [10],
-- [11] and ARGV[5], [7], [8] (sent once for the call), the others are each reserve's own.
--
-- Returns {reservationId, expiresAt, replayed (0|1)}
-- Errors: NOT_FOUND code (unknown code); COUPON_UNAVAILABLE code reason (reason as in
--         coupon_validate.lua, or TOO_MANY_HOLDS: this caller holds its share of the code).
local code, txn, customer = ARGV[1], ARGV[2], ARGV[3]
local now, ttl, rid, index_ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local caller = ARGV[9]
local k = code_keys(1)

local c = load_code(k, ARGV[8])
if c == nil then return fail('NOT_FOUND', code, 'unknown coupon code') end
c = release_expired(c, k, KEYS[8], code, now)

-- A replay needs the transaction's entry: only a code it may hold or have used (a GENERIC code, or
-- an INDIVIDUAL one not ACTIVE). An ACTIVE INDIVIDUAL code holds no reservation and was never
-- used (REDEEMED and CANCELLED are for good), so no entry of this transaction can be a replay:
-- its HGET is skipped (a new code's first reserve, the usual case); the transaction the code
-- itself records (held, or redeemed through) is read from the code (code_entry).
local prior = (c.kind == 'GENERIC' or c.status ~= 'ACTIVE') and get_entry(c, k, txn, now)
if prior and prior.rid ~= '' then
  local st = entry_state(prior, now)
  if (st == 'RESERVED' and held_entry(c, k, txn, now)) or st == 'REDEEMED' then
    return {prior.rid, tonumber(prior.expiresAt), 1}
  end
end

local reason = unusable_reason(c, k, now, customer)
if reason then return fail('COUPON_UNAVAILABLE', code, reason) end

local max = num(c.max, -1)
if c.kind == 'GENERIC' and max >= 0 and caller ~= '' then
  local share = math.max(1, math.floor((max - num(c.uses, 0)) / 2))
  if num(redis.call('HGET', k.holders, 'n:' .. caller), 0) >= share then
    return fail('COUPON_UNAVAILABLE', code, 'TOO_MANY_HOLDS')
  end
end

local expires = now + ttl
if c.kind == 'GENERIC' then
  add_hold(k, rid, expires, caller)
  keep_entry(k.bytxn, txn, {rid = rid, expiresAt = expires, state = 'RESERVED', customerId = customer}, now)
else  -- the code itself records its one reservation (code_entry in _common.lua)
  redis.call('HSET', k.coupon, 'status', 'RESERVED', 'reservationId', rid,
             'reservedTxn', txn, 'reservedUntil', expires, 'reservedFor', customer)
end
-- LT: the index keeps the EARLIEST expiry of the code (added if absent).
redis.call('ZADD', KEYS[8], 'LT', expires, code)
-- what redeem and cancel look a reservationId up by (its customer is in the code, or its entry)
redis.call('HSET', KEYS[9], 'code', code, 'transactionId', txn)
redis.call('PEXPIRE', KEYS[9], index_ttl)
queue_for_central(10, 10)
log_codes({code})
return {rid, expires, 0}
