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
--     code, "" or absent otherwise), validFrom/validTo (ms; "" or absent: none), max/maxPerCustomer
--     (-1 or absent: no limit), uses (absent: 0), promotionIds (JSON); an INDIVIDUAL code leaves
--     out the empty ones and uses and limits (create_codes), so every reader defaults them. For
--     INDIVIDUAL codes the held reservation (or the one it was redeemed through): reservationId,
--     reservedTxn, reservedUntil, reservedFor (its customerId or ""; see code_entry); cancelledAt
--     (and voidedAt) once CANCELLED. The code's type (c._type, see load_code: its id, status,
--     maxPerCustomer and stackable) decides too: status INACTIVE blocks the code, maxPerCustomer
--     counts over all its codes (the type's uses hash), stackable "0" = not combined with other
--     codes.
--   * bytxn entries (coupon_by_txn hash, field = transactionId) are {rid, expiresAt, state,
--     customerId}, stored packed as "state|expiresAt|rid|customerId" (the customer id last: it may
--     hold any character); entries written before as JSON objects are still read (decode_entry).
--     State RESERVED with expiresAt <= now means EXPIRED.
--   * an INDIVIDUAL code records its reservation once, in the code: while it is held, and after
--     the code was redeemed through it (its holder's entry is read from the code's fields,
--     code_entry). Its holder's bytxn entry is written only when it ends otherwise: cancelled
--     (CANCELLED), or lapsed or voided (RESERVED, as it stood: EXPIRED once past). So a reserve
--     and its use write one hash, not two. Reservations made by an earlier release have no
--     reservedFor and their entry in bytxn already: read there.

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

-- A transaction's entry is kept ENTRY_KEEP_MS past its expiresAt (a held reservation's end, or
-- the moment of its use): as long as the reservation index (48 h), for replays of that
-- transaction's reserve and redeem. Older entries count as gone whether or not a sweep (below)
-- has removed them yet.
local ENTRY_KEEP_MS = 48 * 3600 * 1000

-- A stored entry as a table: the packed form (no cjson round trip: a pattern match costs a
-- fraction of a decode), or the JSON object of the release before.
local function decode_entry(raw)
  if string.byte(raw, 1) == 123 then return cjson.decode(raw) end  -- '{': the JSON form
  local state, expires, rid, customer = string.match(raw, '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
  return {state = state, expiresAt = expires, rid = rid, customerId = customer}
end

-- An entry stops counting ENTRY_KEEP_MS past its expiresAt.
local function past_keep(expires, now)
  return tonumber(expires or 0) + ENTRY_KEEP_MS < now
end

-- Whether a stored entry (packed or JSON) stops counting, reading only its expiresAt (the sweep).
local function entry_gone(raw, now)
  if string.byte(raw, 1) == 123 then return past_keep(cjson.decode(raw).expiresAt, now) end
  return past_keep(string.match(raw, '^[^|]*|([^|]*)|'), now)
end

-- The entry an INDIVIDUAL code records itself, of transaction c.reservedTxn: its held reservation
-- (RESERVED) or the one it was redeemed through (REDEEMED). nil: none, or one made before
-- reservedFor existed (its entry is in bytxn).
local function code_entry(c)
  if c.reservedFor == nil or (c.status ~= 'RESERVED' and c.status ~= 'REDEEMED') then return nil end
  return {state = c.status, expiresAt = c.reservedUntil, rid = c.reservationId, customerId = c.reservedFor}
end

-- Transaction `txn`'s entry on code `c` (nil: none, or gone).
local function get_entry(c, k, txn, now)
  if txn == nil or txn == '' then return nil end
  local own = code_entry(c)
  if own and c.reservedTxn == txn then
    if past_keep(own.expiresAt, now) then return nil end
    return own
  end
  local raw = redis.call('HGET', k.bytxn, txn)
  if not raw then return nil end
  local e = decode_entry(raw)  -- once: the entry is read whole anyway
  if past_keep(e.expiresAt, now) then return nil end
  return e
end

local function put_entry(bytxn_key, txn, entry)
  redis.call('HSET', bytxn_key, txn, entry.state .. '|' .. entry.expiresAt .. '|' .. (entry.rid or '') .. '|'
             .. (entry.customerId or ''))
end

-- Without field expiry (Redis 6.2) the entries are swept here, so a GENERIC code used by millions
-- of transactions keeps about two days' worth, not one field per transaction forever. A hash of
-- ENTRY_SWEEP entries or fewer (an INDIVIDUAL code's, as a rule) is left alone: one HLEN. Past
-- that each write looks at ENTRY_SWEEP entries drawn at random (HRANDFIELD: O(count) whatever the
-- hash's size) and drops the gone ones: at most one entry is added per write, so the gone ones
-- stay below ~1/ENTRY_SWEEP of the hash. (A cursor walk - HSCAN - returns the WHOLE hash while
-- Redis keeps it compact, up to 512 fields: every write then read and matched hundreds.)
local ENTRY_SWEEP = 20
local function sweep_entries(bytxn_key, now)
  if redis.call('HLEN', bytxn_key) <= ENTRY_SWEEP then return end
  local drawn, gone = redis.call('HRANDFIELD', bytxn_key, ENTRY_SWEEP, 'WITHVALUES'), {}
  for i = 1, #drawn, 2 do
    if entry_gone(drawn[i + 1], now) then gone[#gone + 1] = drawn[i] end
  end
  if #gone > 0 then redis.call('HDEL', bytxn_key, unpack(gone)) end
end

-- Write a transaction's entry, then sweep its hash (sweep_entries): how every script that may add
-- an entry writes one (code_sync_put.lua, which copies central's, has no clock to sweep by).
local function keep_entry(bytxn_key, txn, entry, now)
  put_entry(bytxn_key, txn, entry)
  sweep_entries(bytxn_key, now)
end

-- The keys of one coupon code, in the order actors/store_ops/coupons.py code_keys() passes them
-- from KEYS[first]: the code's hash, its per-customer uses, its GENERIC holds (reservationId ->
-- expiresAt), its bytxn entries, its holders (reservationId -> caller, n:<caller> -> live holds),
-- its type's hash and the type's per-customer uses (a never-written key when the code has no type).
local CODE_KEYS = 7
local function code_keys(first)
  return {coupon = KEYS[first], uses = KEYS[first + 1], holds = KEYS[first + 2],
          bytxn = KEYS[first + 3], holders = KEYS[first + 4], ctype = KEYS[first + 5],
          type_uses = KEYS[first + 6]}
end

-- The code's fields (its type's fields in c._type, {} when the type is gone), or nil for an
-- unknown code. `type_id` is the typeId the caller read for the code just before the call (a
-- code's type never changes): a code that did not exist then is unknown to this call too.
-- Of the type only the fields the scripts judge by are read (its hash also holds the admin
-- document and the promotion ids: copying them into Lua cost more than the rest of the read).
-- (The fields are named in the call, not kept in a table: a table of them was built by every call.)
-- A type is read once per run of the script (TYPES_READ, by its key), and shared read-only by
-- its codes: no script that loads codes writes a type, so within one run it cannot change (a
-- merged call, dre/store/scripts.py, or a confirm of many codes reads each type once).
local TYPES_READ = {}
local function load_code(k, type_id)
  local c = hgetall(k.coupon)
  if c.status == nil or (c.typeId or '') ~= type_id then return nil end
  local t = TYPES_READ[k.ctype]
  if t == nil then
    local got = redis.call('HMGET', k.ctype, 'id', 'status', 'maxPerCustomer', 'stackable')
    t = {id = got[1] or nil, status = got[2] or nil, maxPerCustomer = got[3] or nil, stackable = got[4] or nil}
    TYPES_READ[k.ctype] = t
  end
  c._type = t
  return c
end

-- Forget an INDIVIDUAL code's reservation (its status, and its holder's entry, are the caller's).
local function drop_reservation(c, k)
  redis.call('HDEL', k.coupon, 'reservationId', 'reservedTxn', 'reservedUntil', 'reservedFor')
  c.reservationId, c.reservedTxn, c.reservedUntil, c.reservedFor = nil, nil, nil, nil
end

-- An INDIVIDUAL code's reservation ends unused and not cancelled (it lapsed, or the code was
-- voided): its holder's entry keeps it as it stood (RESERVED: EXPIRED once past), the code drops it.
local function retire_reservation(c, k, now)
  local own = code_entry(c)
  if own then keep_entry(k.bytxn, c.reservedTxn, own, now) end
  drop_reservation(c, k)
end

-- Keep the tenant's expiry index right for one code: its earliest live reservation, or nothing.
local function reindex_expiry(c, k, expiry_key, code)
  local nxt
  if c.kind == 'GENERIC' then
    local first = redis.call('ZRANGE', k.holds, 0, 0, 'WITHSCORES')
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

-- A new hold of `caller` ("" = not counted per caller) on a GENERIC code.
local function add_hold(k, rid, expires, caller)
  redis.call('ZADD', k.holds, expires, rid)
  if caller ~= '' then
    redis.call('HSET', k.holders, rid, caller)
    redis.call('HINCRBY', k.holders, 'n:' .. caller, 1)
  end
end

-- Drop holds of a GENERIC code (expired, cancelled or turned into a use), with their callers' counts.
local function drop_holds(k, rids)
  for _, rid in ipairs(rids) do
    redis.call('ZREM', k.holds, rid)
    local caller = redis.call('HGET', k.holders, rid)
    if caller then
      redis.call('HDEL', k.holders, rid)
      if redis.call('HINCRBY', k.holders, 'n:' .. caller, -1) <= 0 then
        redis.call('HDEL', k.holders, 'n:' .. caller)
      end
    end
  end
end

-- Release reservations of one code that expired by `now` (lazy expiry). Mutates and returns c.
local function release_expired(c, k, expiry_key, code, now)
  if c.status == nil then return c end
  if c.kind == 'GENERIC' then
    local lapsed = redis.call('ZRANGEBYSCORE', k.holds, '-inf', now)
    if #lapsed > 0 then
      drop_holds(k, lapsed)
      reindex_expiry(c, k, expiry_key, code)
    end
  elseif c.status == 'RESERVED' and num(c.reservedUntil, 0) <= now then
    retire_reservation(c, k, now)
    redis.call('HSET', k.coupon, 'status', 'ACTIVE')
    c.status = 'ACTIVE'
    redis.call('ZREM', expiry_key, code)
  end
  return c
end

-- Reservation `rid` of transaction `txn` on a code, for redeem and cancel: the coupon (its lapsed
-- holds released first), the transaction's entry and that entry's state. A code or reservation
-- that does not exist gives nil, nil, nil and the NOT_FOUND reply to return.
local function find_reservation(k, expiry_key, code, type_id, txn, rid, now)
  local c = load_code(k, type_id)
  if c == nil then return nil, nil, nil, fail('NOT_FOUND', rid, 'unknown reservation') end
  c = release_expired(c, k, expiry_key, code, now)
  local e = get_entry(c, k, txn, now)
  if e == nil or e.rid ~= rid then return nil, nil, nil, fail('NOT_FOUND', rid, 'unknown reservation') end
  return c, e, entry_state(e, now)
end

-- The coupon type's per-customer limit (maxRedemptionsPerCustomer) counts uses of all its codes.
local function type_limit_reached(c, k, customer)
  local per = num(c._type.maxPerCustomer, -1)
  return per >= 0 and customer ~= '' and num(redis.call('HGET', k.type_uses, customer), 0) >= per
end

-- Per-customer limits at the moment a use is counted: the GENERIC code's own and its type's.
local function customer_limit_reached(c, k, customer)
  if customer == '' then return false end
  local per = num(c.maxPerCustomer, -1)
  if c.kind == 'GENERIC' and per >= 0 and num(redis.call('HGET', k.uses, customer), 0) >= per then
    return true
  end
  return type_limit_reached(c, k, customer)
end

-- Why a reservation the transaction already holds can no longer become a use, or nil: its type
-- was set INACTIVE, or a per-customer limit was reached meanwhile. (A voided code has no holds.)
local function held_reason(c, k, customer)
  if c._type.status == 'INACTIVE' then return 'NOT_ACTIVE' end
  if customer_limit_reached(c, k, customer) then return 'LIMIT_REACHED' end
  return nil
end

-- Why a NEW use of the code (not through a reservation already held) is refused, or nil.
-- Reasons use the contract's coupon result vocabulary, plus NOT_FOR_CUSTOMER (a personal code
-- presented for another customer, or for none) and CANCELLED (voided, or its type deleted).
local function unusable_reason(c, k, now, customer)
  if c == nil or c.status == nil then return 'INVALID' end
  if c.status == 'REDEEMED' then return 'ALREADY_REDEEMED' end
  if c.status == 'EXPIRED' then return 'EXPIRED' end
  if c.status == 'CANCELLED' then return 'CANCELLED' end
  if c.status == 'CREATED' or c._type.status == 'INACTIVE' then return 'NOT_ACTIVE' end
  local valid_to = num(c.validTo, nil)
  if valid_to and now > valid_to then return 'EXPIRED' end
  local valid_from = num(c.validFrom, nil)
  if valid_from and now < valid_from then return 'NOT_ACTIVE' end
  if (c.customerId or '') ~= '' and c.customerId ~= customer then return 'NOT_FOR_CUSTOMER' end
  if c.kind == 'GENERIC' then
    local max = num(c.max, -1)
    if max >= 0 and num(c.uses, 0) + redis.call('ZCARD', k.holds) >= max then
      return 'LIMIT_REACHED'
    end
  elseif c.status == 'RESERVED' then
    return 'RESERVED_ELSEWHERE'
  end
  if customer_limit_reached(c, k, customer) then return 'LIMIT_REACHED' end
  return nil
end

-- The reservation this transaction holds on the code right now, or nil.
local function held_entry(c, k, txn, now)
  local e = get_entry(c, k, txn, now)
  if e == nil or entry_state(e, now) ~= 'RESERVED' then return nil end
  if c.kind == 'GENERIC' then
    if not redis.call('ZSCORE', k.holds, e.rid) then return nil end
  elseif c.status ~= 'RESERVED' or c.reservationId ~= e.rid then
    return nil
  end
  return e
end

-- The reservation this transaction holds on the code (or nil), and why using the code now is
-- refused (or nil): through that reservation (held_reason), else as a new use (unusable_reason).
local function use_verdict(c, k, txn, now, customer)
  local held = held_entry(c, k, txn, now)
  if held then return held, held_reason(c, k, customer) end
  return nil, unusable_reason(c, k, now, customer)
end

-- Count one use of the code by `txn` (INDIVIDUAL: REDEEMED; GENERIC: uses + 1), through the
-- reservation `entry` the transaction holds (or nil for a direct use); the customer's use counts
-- for the type too. Call only after every check of the script passed.
local function consume_coupon(c, k, expiry_key, code, txn, customer, entry, now)
  -- an INDIVIDUAL code keeps the reservation (of this release's reserve) it is used through: its entry
  local recorded = entry ~= nil and c.kind ~= 'GENERIC' and c.reservedFor ~= nil
  if c.kind == 'GENERIC' then
    redis.call('HINCRBY', k.coupon, 'uses', 1)
    if customer ~= '' then redis.call('HINCRBY', k.uses, customer, 1) end
    if entry then drop_holds(k, {entry.rid}) end
    c.uses = tostring(num(c.uses, 0) + 1)
  else
    redis.call('HSET', k.coupon, 'status', 'REDEEMED', 'redeemedBy', txn, 'redeemedAt', now)
    if not recorded then drop_reservation(c, k) end
    c.status = 'REDEEMED'
  end
  if customer ~= '' and c._type.id then redis.call('HINCRBY', k.type_uses, customer, 1) end
  -- a direct use of a GENERIC code leaves its holds, and so its expiry, as they were
  if c.kind ~= 'GENERIC' or entry then reindex_expiry(c, k, expiry_key, code) end
  -- A direct use closes no reservation: nothing reads an entry without one (reserve replays,
  -- redeem and cancel look for the transaction's reservation), so none is written - for a GENERIC
  -- code claimed by every sale that was a field per transaction, and its sweep, for nothing.
  if entry == nil or recorded then return end
  entry.state = 'REDEEMED'
  keep_entry(k.bytxn, txn, entry, now)
end

-- A coupon call answered at a store's local instance is queued for central in the same atomic
-- step as its transition (outbox_add.lua's logic, on the coupon calls' queue): the caller then
-- passes the queue's three keys (list, items hash, settled hash) from KEYS[first], before the code
-- change log's two (log_codes), and the call's id and JSON at ARGV[arg], ARGV[arg + 1]. Central
-- (and a call passed on to it) passes none.
-- Once per id: an id queued or settled before is not queued again.
local function queue_for_central(first, arg)
  if #KEYS < first + 4 then return end  -- only the log's two keys follow: not queued
  local queue, items, settled = KEYS[first], KEYS[first + 1], KEYS[first + 2]
  local id = ARGV[arg]
  if redis.call('HEXISTS', settled, id) == 1 then return end
  if redis.call('HSETNX', items, id, ARGV[arg + 1]) == 0 then return end
  redis.call('RPUSH', queue, id)
end

-- The coupon code change log that feeds local instances (docs/local-store.md; the delta feed,
-- api/central/feed.py): every script that changes a code's state logs it here, in the same
-- atomic step as the change, from its LAST two KEYS - the log zset (code -> sequence number of
-- its last change) and its sequence counter, both in the tenant's slot like the codes
-- (dre/store/sync_keys.py). Logs codes[from..] (from: 1 unless given). Returns the last
-- sequence number issued.
-- In a merged call (dre/store/scripts.py) LOGGED gathers the codes instead, and the call logs them
-- at its end (log_gathered): the sequence numbers they would have had, one INCRBY per call instead
-- of one per reserve; log_codes then returns nil. (The log's keys are shared by a merged call's
-- calls: one tenant's log.)
local LOGGED = nil

-- codes[from..] numbered after the log's last number and added to it; returns the last number.
local function append_log(codes, from)
  local log, counter = KEYS[#KEYS - 1], KEYS[#KEYS]
  local n = #codes - from + 1
  local seq = redis.call('INCRBY', counter, n) - n
  for i = from, #codes do
    seq = seq + 1
    redis.call('ZADD', log, seq, codes[i])
  end
  return seq
end

local function log_codes(codes, from)
  from = from or 1
  if not LOGGED then return append_log(codes, from) end
  for i = from, #codes do LOGGED[#LOGGED + 1] = codes[i] end
  return nil
end

local function log_gathered()
  if #LOGGED > 0 then append_log(LOGGED, 1) end
end

-- New INDIVIDUAL codes of one type, all or none - the one place a code's hash is first written
-- (coupon_generate.lua, coupon_issue.lua, coupon_grant.lua): their hashes at KEYS[k+1..k+n]; the
-- type's id, validFrom, validTo, promotionIds and now at ARGV[a+1..a+5]; code i and its owner
-- ("" for none) at ARGV[a+4+2i], ARGV[a+5+2i]. `extra`: more field/value pairs for every code.
-- Logged (log_codes). Returns {1, code 1, ..., code n} when all were created, else
-- {0, colliding code, ...} and nothing changed.
-- A code holds only the fields it needs: no owner or validity bound when it has none, and no
-- uses or limits (one use, told by its status) - every reader defaults them (`num`, `or ''`).
-- Each field is two more strings in every read of the code (HGETALL): the six left out saved a
-- reserve and a redeem ~1-3 µs of Redis a call (docs/capacity.md).
local function create_codes(k, a, n, status, extra)
  local collided = {0}
  for i = 1, n do
    if redis.call('EXISTS', KEYS[k + i]) == 1 then collided[#collided + 1] = ARGV[a + 4 + 2 * i] end
  end
  if #collided > 1 then return collided end
  -- the fields every code of the batch shares, built once; then each code's own
  local shared = {'status', status, 'kind', 'INDIVIDUAL', 'typeId', ARGV[a + 1], 'promotionIds', ARGV[a + 4],
                  'createdAt', ARGV[a + 5], unpack(extra or {})}
  if ARGV[a + 2] ~= '' then shared[#shared + 1] = 'validFrom'; shared[#shared + 1] = ARGV[a + 2] end
  if ARGV[a + 3] ~= '' then shared[#shared + 1] = 'validTo'; shared[#shared + 1] = ARGV[a + 3] end
  local made = {1}
  for i = 1, n do
    local code, owner = ARGV[a + 4 + 2 * i], ARGV[a + 5 + 2 * i]
    if owner ~= '' then
      redis.call('HSET', KEYS[k + i], 'code', code, 'customerId', owner, unpack(shared))
    else
      redis.call('HSET', KEYS[k + i], 'code', code, unpack(shared))
    end
    made[#made + 1] = code
  end
  log_codes(made, 2)
  return made
end
