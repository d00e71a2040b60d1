-- _common.lua: helpers prepended to every other script by dre/store/scripts.py.
-- (Redis 6.2 has no function libraries, so sharing code means concatenating it; the prelude
-- defines locals only and touches no key by itself.)
--
-- Conventions shared by all scripts:
--   * times are integer milliseconds since the epoch, passed in ARGV ("now"); Lua never reads
--     the clock, so a script's outcome depends on its inputs only (replication-safe, testable).
--   * an error is `return fail(CODE, subject, reason)`: an error reply "CODE\tsubject\treason"
--     that actors/store.py maps to a DREError. Every check runs before the first write, because
--     Redis does not roll a script back when it returns an error. (confirm.lua, the judge of a
--     confirm, answers its refusals as verdicts instead: see its header.)
--   * coupon fields: status, kind (GENERIC|INDIVIDUAL), typeId, customerId (owner of a personal
--     code, "" otherwise), validFrom/validTo (ms or ""), max/maxPerCustomer (-1: no limit),
--     uses, promotionIds (JSON), and for INDIVIDUAL codes the held reservation:
--     reservationId, reservedTxn, reservedUntil.
--   * bytxn entries (coupon_by_txn hash, field = transactionId) are JSON
--     {rid, expiresAt, state, customerId}; state RESERVED with expiresAt <= now means EXPIRED.

local function fail(code, subject, reason)
  return redis.error_reply(code .. '\t' .. (subject or '') .. '\t' .. (reason or ''))
end

local function hgetall(key)
  local flat = redis.call('HGETALL', key)
  local t = {}
  for i = 1, #flat, 2 do
    t[flat[i]] = flat[i + 1]
  end
  return t
end

local function num(v, default)
  if v == nil or v == false or v == '' then return default end
  return tonumber(v)
end

-- A reservation entry's state as of `now` (RESERVED past its expiry is EXPIRED).
local function entry_state(entry, now)
  if entry.state == 'RESERVED' and tonumber(entry.expiresAt) <= now then
    return 'EXPIRED'
  end
  return entry.state
end

local function get_entry(bytxn_key, txn)
  if txn == nil or txn == '' then return nil end
  local raw = redis.call('HGET', bytxn_key, txn)
  if not raw then return nil end
  return cjson.decode(raw)
end

local function put_entry(bytxn_key, txn, entry)
  redis.call('HSET', bytxn_key, txn, cjson.encode(entry))
end

-- Keep the tenant's expiry index right for one code: its earliest live reservation, or nothing.
local function reindex_expiry(c, holds_key, expiry_key, code)
  local nxt
  if c.kind == 'GENERIC' then
    local first = redis.call('ZRANGE', holds_key, 0, 0, 'WITHSCORES')
    if #first > 0 then nxt = first[2] end
  elseif c.status == 'RESERVED' then
    nxt = c.reservedUntil
  end
  if nxt then
    redis.call('ZADD', expiry_key, nxt, code)
  else
    redis.call('ZREM', expiry_key, code)
  end
end

-- Release reservations of one code that expired by `now` (lazy expiry). Mutates and returns c.
local function release_expired(c, coupon_key, holds_key, expiry_key, code, now)
  if c.status == nil then return c end
  if c.kind == 'GENERIC' then
    if redis.call('ZREMRANGEBYSCORE', holds_key, '-inf', now) > 0 then
      reindex_expiry(c, holds_key, expiry_key, code)
    end
  elseif c.status == 'RESERVED' and num(c.reservedUntil, 0) <= now then
    redis.call('HSET', coupon_key, 'status', 'ACTIVE')
    redis.call('HDEL', coupon_key, 'reservationId', 'reservedTxn', 'reservedUntil')
    c.status = 'ACTIVE'
    c.reservationId = nil
    c.reservedTxn = nil
    c.reservedUntil = nil
    redis.call('ZREM', expiry_key, code)
  end
  return c
end

-- Reservation `rid` of transaction `txn` on a code, for redeem and cancel: the coupon (its lapsed
-- holds released first), the transaction's entry and that entry's state. A code or reservation
-- that does not exist gives nil, nil, nil and the NOT_FOUND reply to return.
local function find_reservation(coupon_key, holds_key, bytxn_key, expiry_key, code, txn, rid, now)
  local c = hgetall(coupon_key)
  if c.status == nil then return nil, nil, nil, fail('NOT_FOUND', rid, 'unknown reservation') end
  c = release_expired(c, coupon_key, holds_key, expiry_key, code, now)
  local e = get_entry(bytxn_key, txn)
  if e == nil or e.rid ~= rid then return nil, nil, nil, fail('NOT_FOUND', rid, 'unknown reservation') end
  return c, e, entry_state(e, now)
end

-- Why a NEW use of the code (not through a reservation already held) is refused, or nil.
-- Reasons use the contract's coupon result vocabulary, plus NOT_FOR_CUSTOMER (a personal code
-- presented for another customer).
local function unusable_reason(c, holds_key, uses_key, now, customer)
  if c.status == nil then return 'INVALID' end
  if c.status == 'REDEEMED' then return 'ALREADY_REDEEMED' end
  if c.status == 'EXPIRED' then return 'EXPIRED' end
  if c.status == 'CREATED' or c.status == 'CANCELLED' then return 'NOT_ACTIVE' end
  local valid_to = num(c.validTo, nil)
  if valid_to and now > valid_to then return 'EXPIRED' end
  local valid_from = num(c.validFrom, nil)
  if valid_from and now < valid_from then return 'NOT_ACTIVE' end
  if (c.customerId or '') ~= '' and customer ~= '' and c.customerId ~= customer then
    return 'NOT_FOR_CUSTOMER'
  end
  if c.kind == 'GENERIC' then
    local max = num(c.max, -1)
    if max >= 0 and num(c.uses, 0) + redis.call('ZCARD', holds_key) >= max then
      return 'LIMIT_REACHED'
    end
    local per = num(c.maxPerCustomer, -1)
    if per >= 0 and customer ~= '' and num(redis.call('HGET', uses_key, customer), 0) >= per then
      return 'LIMIT_REACHED'
    end
  elseif c.status == 'RESERVED' then
    return 'RESERVED_ELSEWHERE'
  end
  return nil
end

-- The reservation this transaction holds on the code right now, or nil.
local function held_entry(c, bytxn_key, holds_key, txn, now)
  local e = get_entry(bytxn_key, txn)
  if e == nil or entry_state(e, now) ~= 'RESERVED' then return nil end
  if c.kind == 'GENERIC' then
    if not redis.call('ZSCORE', holds_key, e.rid) then return nil end
  elseif c.status ~= 'RESERVED' or c.reservationId ~= e.rid then
    return nil
  end
  return e
end

-- Per-customer limit of a GENERIC code at the moment a held reservation turns into a use.
local function customer_limit_reached(c, uses_key, customer)
  local per = num(c.maxPerCustomer, -1)
  return c.kind == 'GENERIC' and per >= 0 and customer ~= ''
    and num(redis.call('HGET', uses_key, customer), 0) >= per
end

-- Count one use of the code by `txn` (INDIVIDUAL: REDEEMED; GENERIC: uses + 1), through the
-- reservation `entry` the transaction holds (or nil for a direct use). Call only after every
-- check of the script passed.
local function consume_coupon(c, keys4, expiry_key, code, txn, customer, entry, now)
  local coupon_key, uses_key, holds_key, bytxn_key = keys4[1], keys4[2], keys4[3], keys4[4]
  if c.kind == 'GENERIC' then
    redis.call('HINCRBY', coupon_key, 'uses', 1)
    if customer ~= '' then redis.call('HINCRBY', uses_key, customer, 1) end
    if entry then redis.call('ZREM', holds_key, entry.rid) end
    c.uses = tostring(num(c.uses, 0) + 1)
  else
    redis.call('HSET', coupon_key, 'status', 'REDEEMED', 'redeemedBy', txn, 'redeemedAt', now)
    redis.call('HDEL', coupon_key, 'reservationId', 'reservedTxn', 'reservedUntil')
    c.status = 'REDEEMED'
  end
  reindex_expiry(c, holds_key, expiry_key, code)
  if entry == nil then
    entry = {rid = '', expiresAt = now, customerId = customer}
  end
  entry.state = 'REDEEMED'
  put_entry(bytxn_key, txn, entry)
end
