-- confirm.lua: commit priced iterations of one or more transactions, each all or nothing; and the
-- one judge of whether a confirm is accepted, so the caller decides nothing itself.
--
-- Batched: the store actor sends every confirm of one slot (tenant) that waits in the same round
-- as ONE call (actors/store_core.py). ARGV[1] = n, then per transaction a frame: nk, na, then its
-- na arguments; KEYS are the n transactions' keys one after the other (nk each). Below, KEYS[i]
-- and ARGV[i] are numbered within one transaction's frame. Returns one verdict per transaction,
-- in order ({'ERROR', message} if its commit raised: a Redis fault, nothing of it written before).
-- A transaction alone is a batch of one: there is one judge of a confirm.
--
-- Order: (1) replay / conflict with an earlier confirm, (2) [in the transaction's own slot, by
-- txn_seal.lua before this script: the counter is the latest issued, its iteration still kept, and
-- no new counter is issued until txn_settle.lua], (3) every budget has room, (4) every coupon can
-- be claimed, (4b) every linked return stays within its sale's counters - and only then (5) the
-- writes: budgets consumed, coupons claimed (INDIVIDUAL: REDEEMED by this transaction; GENERIC:
-- one more use), the linked returns' counters and this sale's record, the confirmed marker with
-- the answer, what is left of each money budget recorded in the
-- remaining hash, and the promotions whose budget is now used up added to the exhausted set. Any
-- refusal returns before the first write, so nothing changes. A BUDGET_EXHAUSTED refusal (amount
-- or redemptions) is then recorded in the transaction's refused set by txn_settle.lua, so that
-- the lane's next evaluate prices without it instead of offering it again; other transactions may
-- still use what is left of the budget.
--
-- Judging only (ARGV[6], the answer, is ""): step (1), nothing written; only KEYS[3] and
-- ARGV[1], ARGV[2], ARGV[6] are needed: {'CONFIRMABLE', ''} when no confirm of the transaction is
-- known here (txn_seal.lua, judging, has the iteration).
--
-- KEYS[1], KEYS[2] unused (a never-written key of the tenant's slot): the transaction's counter and
--         iterations live in its own slot since the cluster layout (dre/store/keys.py)
-- KEYS[3] txn confirmed marker (string "<counter>:<confirmedAt>:<answer>", TTL ARGV[5])
-- KEYS[4] unused (a never-written key of the tenant's slot; was the done marker, which is kept
--         in the transaction's slot: txn_seal.lua checks it, txn_settle.lua writes it)
-- KEYS[5], KEYS[6] unused (never-written keys of the tenant's slot; were the job hash and queue:
--         the job is written in the transaction's slot, txn_seal.lua)   KEYS[7] exhausted-budgets set
-- KEYS[8] coupon expiry zset
-- then per promotion i (i = 0..np-1):  KEYS[9+2i] budget hash, KEYS[10+2i] budget customers hash
-- then per coupon j (b = 9+2np):       KEYS[b+7j .. b+7j+6] the code's keys (see code_keys in
--                                      _common.lua)
-- then KEYS[b+7nc] the budget-remaining hash (promotion id -> cents left of its amount limit:
--      evaluate leaves out a promotion whose discount exceeds it)
-- then KEYS[b+7nc+1] this transaction's sale record hash, and per original sale k its linked
--      returns name (k = 1..no): KEYS[b+7nc+1+k] that sale's record hash (all in the tenant's
--      slot: a return's commit updates another transaction's sale)
-- last: KEYS[#KEYS] unused (a never-written key of the tenant's slot; was the refused set)
-- ARGV[1] transactionId   ARGV[2] counter   ARGV[3] customerId or ""   ARGV[4] now (ms)
-- ARGV[5] ttl of the transaction keys after confirm (ms)   ARGV[6] the answer (JSON), "" to judge
-- ARGV[7], ARGV[8] unused ("")   ARGV[9] np   ARGV[10] nc
-- ARGV[11] unused
-- then per promotion (5 each, from ARGV[12]): id, amount (cents, >= 0), redemption limit,
--   amount limit (cents), per-customer limit   (-1: no such limit)
-- then per coupon (3 each): code, reservationId or "" (the transaction's own held reservation
--   is used whatever this says; without one the code is claimed directly if usable), the code's
--   typeId as read before the call
-- then (r = 12+5np+3nc): ARGV[r] this sale's record (JSON, "" for none: kept for the returns that
--   name it), ARGV[r+1] its ttl (ms), ARGV[r+2] no; then per original sale: its transactionId, m,
--   then m triples
--   (counter field, delta, limit): what this transaction's linked returns use of it
--
-- Returns the verdict first; a refusal is an answer too, not an error reply (the caller maps each
-- verdict to its error in one table, dre/store/replies.py CONFIRM_REFUSALS):
--   {'CONFIRMED', answer, remaining, exhausted promotion id, ...}   the writes were made;
--                                     remaining: JSON {promotion id: cents left} of the money budgets consumed
--   {'REPLAYED', first answer}        this counter was confirmed already; nothing written
--   {'CONFIRMABLE', ''}               (judging only) no confirm of this transaction yet
--   {'ALREADY_CONFIRMED', txn, the counter confirmed}
--   {'BUDGET_EXHAUSTED', promotionId, amount|redemptions|perCustomer}
--   {'COUPON_UNAVAILABLE', code, reason}
--   {'RETURN_EXCEEDS_SALE', original transactionId, counter field or 'record'}   a return of that
--                                     sale confirmed since, or its record expired: evaluate again
-- The confirmed marker: "<counter>:<confirmedAt>:<answer>" (one SET with its TTL), or a hash
-- {counter, answer, confirmedAt} written before it was a string (kept a day: read until it lapses).
-- Returns the counter and the first answer, or nil.
local function confirmed_marker(key)
  local ok, v = pcall(redis.call, 'GET', key)
  if ok then
    if not v then return nil end
    return string.match(v, '^(%d+):%d+:(.*)$')
  end
  local h = redis.call('HMGET', key, 'counter', 'answer')
  if not h[1] then return nil end
  return h[1], h[2]
end

-- One transaction's confirm: its keys K and arguments A numbered as in the header; coupon j's
-- keys are read in place from KEYS[code_at(j)] on (code_keys).
local function confirm_one(K, A, code_at)
  local txn, counter, customer = A[1], tonumber(A[2]), A[3]
  local now, ttl = tonumber(A[4]), tonumber(A[5])
  local np, nc = tonumber(A[9]), tonumber(A[10])

  -- (1) an earlier confirm of this transaction
  local done, first = confirmed_marker(K[3])
  if done then
    if tonumber(done) == counter then return {'REPLAYED', first} end
    return {'ALREADY_CONFIRMED', txn, done}
  end

  if A[6] == '' then return {'CONFIRMABLE', ''} end

  -- (3) budgets
  local function refuse(id, reason)
    return {'BUDGET_EXHAUSTED', id, reason}
  end

  local promos = {}
  for i = 0, np - 1 do
    local a = 12 + 5 * i
    local p = {id = A[a], amount = tonumber(A[a + 1]), rlim = tonumber(A[a + 2]),
               alim = tonumber(A[a + 3]), plim = tonumber(A[a + 4]),
               bkey = K[9 + 2 * i], ckey = K[10 + 2 * i]}
    local b = redis.call('HMGET', p.bkey, 'amount_consumed', 'redemptions_consumed', 'amount_limit',
                         'redemption_limit', 'per_customer_limit')
    p.ac, p.rc = num(b[1], 0), num(b[2], 0)
    p.same_limits = num(b[3], nil) == p.alim and num(b[4], nil) == p.rlim and num(b[5], nil) == p.plim
    if p.alim >= 0 and p.ac + p.amount > p.alim then
      return refuse(p.id, 'amount')
    end
    if p.rlim >= 0 and p.rc + 1 > p.rlim then
      return refuse(p.id, 'redemptions')
    end
    if p.plim >= 0 and customer ~= '' then
      if num(redis.call('HGET', p.ckey, customer), 0) + 1 > p.plim then
        return {'BUDGET_EXHAUSTED', p.id, 'perCustomer'}
      end
    end
    promos[#promos + 1] = p
  end

  -- (4) coupons
  local base = 9 + 2 * np
  local argc = 12 + 5 * np
  local coupons = {}
  for j = 0, nc - 1 do
    local k = code_keys(code_at(j))
    local code = A[argc + 3 * j]
    local c = load_code(k, A[argc + 3 * j + 2])
    if c == nil then return {'COUPON_UNAVAILABLE', code, 'INVALID'} end
    c = release_expired(c, k, K[8], code, now)
    local held, reason = use_verdict(c, k, txn, now, customer)
    if reason then return {'COUPON_UNAVAILABLE', code, reason} end
    coupons[#coupons + 1] = {c = c, keys = k, code = code, held = held}
  end
  -- a type's maxRedemptionsPerCustomer also over the codes of this one confirm
  local type_uses = {}
  for _, x in ipairs(coupons) do
    local per = num(x.c._type.maxPerCustomer, -1)
    if per >= 0 and customer ~= '' then
      local used = type_uses[x.c.typeId] or num(redis.call('HGET', x.keys.type_uses, customer), 0)
      if used >= per then return {'COUPON_UNAVAILABLE', x.code, 'LIMIT_REACHED'} end
      type_uses[x.c.typeId] = used + 1
    end
  end

  -- (4b) linked returns: no counter of an original sale may pass its limit
  local skey = base + CODE_KEYS * nc + 1
  local r = argc + 3 * nc
  local no = tonumber(A[r + 2] or '0')
  local originals = {}
  local at = r + 3
  for k = 1, no do
    local otxn, m, key = A[at], tonumber(A[at + 1]), K[skey + k]
    local o = {key = key, incs = {}}
    if redis.call('HEXISTS', key, 'record') == 0 then return {'RETURN_EXCEEDS_SALE', otxn, 'record'} end
    for j = 0, m - 1 do
      local f, d, lim = A[at + 2 + 3 * j], tonumber(A[at + 3 + 3 * j]), tonumber(A[at + 4 + 3 * j])
      if num(redis.call('HGET', key, f), 0) + d > lim then return {'RETURN_EXCEEDS_SALE', otxn, f} end
      o.incs[#o.incs + 1] = {f, d}
    end
    originals[#originals + 1] = o
    at = at + 2 + 3 * m
  end

  -- (5) writes: every check passed
  local out = {'CONFIRMED', A[6], ''}
  local left = {}
  for _, p in ipairs(promos) do
    -- one write per budget: the consumed figures as read in (3) plus this confirm (the script
    -- runs alone, so nothing changed them since), and the limits only when they changed
    local ac, rc = p.ac + p.amount, p.rc + 1
    if p.same_limits then
      redis.call('HSET', p.bkey, 'amount_consumed', ac, 'redemptions_consumed', rc)
    else
      redis.call('HSET', p.bkey, 'amount_consumed', ac, 'redemptions_consumed', rc, 'amount_limit', p.alim,
                 'redemption_limit', p.rlim, 'per_customer_limit', p.plim)
    end
    if customer ~= '' then redis.call('HINCRBY', p.ckey, customer, 1) end
    if p.alim >= 0 then
      redis.call('HSET', K[base + CODE_KEYS * nc], p.id, p.alim - ac)
      left[p.id] = p.alim - ac
    end
    if (p.alim >= 0 and ac >= p.alim) or (p.rlim >= 0 and rc >= p.rlim) then
      redis.call('SADD', K[7], p.id)
      out[#out + 1] = p.id
    end
  end
  out[3] = next(left) and cjson.encode(left) or '{}'
  for _, x in ipairs(coupons) do
    consume_coupon(x.c, x.keys, K[8], x.code, txn, customer, x.held, now)
  end
  for _, o in ipairs(originals) do
    for _, f in ipairs(o.incs) do redis.call('HINCRBY', o.key, f[1], f[2]) end
  end
  if A[r] ~= nil and A[r] ~= '' then
    redis.call('HSET', K[skey], 'record', A[r])
    redis.call('PEXPIRE', K[skey], A[r + 1])
  end
  redis.call('SET', K[3], counter .. ':' .. now .. ':' .. A[6], 'PX', ttl)
  return out
end

-- The batch: each transaction in arrival order, each judged and committed on its own (a refusal
-- writes nothing of that transaction and the next one is judged as if it ran alone after it).
-- A Lua error in one (a Redis fault such as OOM, or a bug) is that one's verdict; the others stand.
local out = {}
local function run(i, K, A, code_at)
  local ok, reply = pcall(confirm_one, K, A, code_at)
  if not ok then reply = {'ERROR', type(reply) == 'table' and (reply.err or cjson.encode(reply)) or tostring(reply)} end
  out[i] = reply
end

if ARGV[1] ~= 'packed' then
  local ko, ao = 0, 1
  for i = 1, tonumber(ARGV[1]) do
    local nk, na = tonumber(ARGV[ao + 1]), tonumber(ARGV[ao + 2])
    local K, A = {unpack(KEYS, ko + 1, ko + nk)}, {unpack(ARGV, ao + 3, ao + 2 + na)}
    local first = ko + 9  -- + 2 np: coupon 0's keys follow the promotions' (a judging frame has none)
    run(i, K, A, function(j) return first + 2 * tonumber(A[9]) + CODE_KEYS * j end)
    ko, ao = ko + nk, ao + 2 + na
  end
  return out
end

-- Packed (many unsealed transactions: no customer, counter 1, no sale record, no linked returns;
-- actors/store_ops/transactions.py commit_unsealed_batch): the keys and limits shared by the
-- batch once, then per transaction only its own. Each is judged by confirm_one on the frame it
-- would have had on its own.
--   KEYS: none, exhausted set, coupon expiry zset, budget-remaining hash; per budget b (1..nb) its
--         budget hash and customers hash; per code c (1..nc) its CODE_KEYS keys; then per
--         transaction its confirmed marker and its sale record hash
--   ARGV: 'packed', now, ttl (ms), answer, record ttl (ms), nb, nc, n; per budget: promotion id,
--         redemption limit, amount limit, per-customer limit; per code: code, typeId; then per
--         transaction: id, np, ncp, np pairs (budget b, cents), ncp codes c
local now, ttl, answer, rttl = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local nb, nc, n = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local none = KEYS[1]
local bud, codes = {}, {}
for b = 1, nb do
  local a = 9 + 4 * (b - 1)
  bud[b] = {ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], KEYS[3 + 2 * b], KEYS[4 + 2 * b]}
end
local cbase = 5 + 2 * nb  -- KEYS index of code 1's first key
for c = 1, nc do
  local a = 9 + 4 * nb + 2 * (c - 1)
  codes[c] = {ARGV[a], ARGV[a + 1], cbase + CODE_KEYS * (c - 1)}
end
local tk = cbase + CODE_KEYS * nc  -- KEYS index of transaction 1's marker
local at = 9 + 4 * nb + 2 * nc
for i = 1, n do
  local np, ncp = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  local K = {none, none, KEYS[tk], none, none, none, KEYS[2], KEYS[3]}
  local A = {ARGV[at], 1, '', now, ttl, answer, '', '', np, ncp, ''}
  local u = at + 3
  for _ = 1, np do
    local b = bud[tonumber(ARGV[u])]
    K[#K + 1], K[#K + 2] = b[5], b[6]
    A[#A + 1], A[#A + 2], A[#A + 3], A[#A + 4], A[#A + 5] = b[1], ARGV[u + 1], b[2], b[3], b[4]
    u = u + 2
  end
  local at_code = {}
  for j = 0, ncp - 1 do
    local c = codes[tonumber(ARGV[u])]
    for x = 0, CODE_KEYS - 1 do K[#K + 1] = KEYS[c[3] + x] end
    A[#A + 1], A[#A + 2], A[#A + 3] = c[1], '', c[2]
    at_code[j] = c[3]
    u = u + 1
  end
  K[#K + 1], K[#K + 2], K[#K + 3] = KEYS[4], KEYS[tk + 1], none
  A[#A + 1], A[#A + 2], A[#A + 3] = '', rttl, 0
  run(i, K, A, function(j) return at_code[j] end)
  tk, at = tk + 2, u
end
return out
