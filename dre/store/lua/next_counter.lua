-- next_counter.lua: issue the next transactionCounter of a transaction and keep its priced
-- iteration. INCR is atomic, so counters are gap-free and unique under any concurrency.
-- Only the latest iteration is kept: only it can be confirmed.
--
-- A confirm refused for BUDGET_EXHAUSTED leaves the promotion in the transaction's refused set,
-- and the next evaluate must be priced without it. Evaluate does not read that set first (a
-- second store call per scan); it says which promotions it priced without, and only when the
-- set holds one more is nothing issued: the caller prices again without those and retries.
--
-- A confirm in flight seals the transaction (txn_seal.lua: its commit in the tenant's slot must
-- still be of the latest iteration when it lands); meanwhile nothing is issued either.
--
-- KEYS[1] counter string   KEYS[2] iterations hash (counter -> JSON; also the copy of the
--         transaction's confirmed answer, txn_settle.lua: kept as long as the transaction is being
--         evaluated, so a confirm replay finds the answer while the lane is still at it)
-- KEYS[3] refused set   KEYS[4] the answer copy of the release before (a hash of its own): kept so too
-- KEYS[5] the confirm seal (txn_seal.lua)
-- ARGV[1] the priced iteration (JSON)   ARGV[2] ttl of both keys (ms)
-- ARGV[3..] promotion ids the iteration was priced without
--
-- Returns the new counter (1 on the first evaluate of the transaction), or, issuing nothing,
-- {refused promotion id, ...} (the whole set) when it holds an id missing from ARGV[3..], or 0
-- while a confirm of the transaction is sealed (the caller tries again in a moment).
if redis.call('EXISTS', KEYS[5]) == 1 then return 0 end
local refused = redis.call('SMEMBERS', KEYS[3])
if #refused > 0 then
  local without = {}
  for i = 3, #ARGV do without[ARGV[i]] = true end
  for _, id in ipairs(refused) do
    if not without[id] then return refused end
  end
end
local counter = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], counter, ARGV[1])
if counter > 1 then redis.call('HDEL', KEYS[2], counter - 1) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[4], ARGV[2])  -- nothing when there is none (as a rule)
return counter
