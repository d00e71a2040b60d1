-- txn_seal.lua: the transaction's side of a confirm, in the transaction's own slot (the budgets and
-- coupons a confirm commits live in the tenant's slot: confirm.lua). Judges whether this counter
-- may be confirmed - a replay (from the answer copy), the latest issued, its iteration still kept -
-- and, unless only judging, seals the transaction at this counter: while the seal is there
-- next_counter.lua issues nothing, so the iteration is still the latest when confirm.lua commits it
-- in the other slot. Several confirms of one counter (a lane's retries) hold the seal together
-- (n); txn_settle.lua lets go of it; its TTL frees it if the confirming worker died.
-- Sealing also writes the side-effects job of this counter, HELD (unless it is there already):
-- the caller queues it before committing, so a commit never lands without its job, and
-- txn_settle.lua makes it PENDING (or drops it when the commit was refused).
--
-- KEYS[1] counter string   KEYS[2] iterations hash, which also holds the answer copy (fields
-- answerCounter, answer: txn_settle.lua)   KEYS[3] seal hash {n}
-- KEYS[4] the answer copy of the release before (a hash {counter, answer}; read until it lapses)
-- KEYS[5] done marker (the counter confirmed, kept long after the answer: a transaction is never
-- consumed twice, however late the second confirm)
-- KEYS[6] job hash (only when sealing)
-- ARGV[1] transactionId   ARGV[2] counter   ARGV[3] seal TTL (ms); 0 judges only, writes nothing
-- ARGV[4] job id   ARGV[5] job payload (JSON)   ARGV[6] now (ms)   ARGV[7] TTL of a HELD job (ms)
--   (ARGV[4..7] only when sealing)
--
-- Returns, as confirm.lua does (dre/store/replies.py CONFIRM_REFUSALS maps the refusals):
--   {'CONFIRMABLE', iteration JSON} when judging; {'CONFIRMABLE', ''} when sealed
--   {'REPLAYED', first answer}   {'ALREADY_CONFIRMED', txn, the counter confirmed} (also once only
--   the done marker is left)
--   {'STALE_ITERATION', txn, latest counter}   {'NEVER_ISSUED', txn}   {'EXPIRED', txn}
local txn, counter, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
-- the copy's fields in the iterations hash, which the seal reads anyway: no key of its own to touch
local copy = redis.call('HMGET', KEYS[2], 'answerCounter', 'answer')
local long_done = redis.call('GET', KEYS[5])
if not copy[1] and long_done then
  -- confirmed, and no copy here: one the release before kept in a hash of its own? (a copy is
  -- written with the done marker, so only then can there be one)
  copy = redis.call('HMGET', KEYS[4], 'counter', 'answer')
end
if copy[1] then
  if tonumber(copy[1]) == counter then return {'REPLAYED', copy[2]} end
  return {'ALREADY_CONFIRMED', txn, copy[1]}
end
if long_done then return {'ALREADY_CONFIRMED', txn, long_done} end  -- the answer is gone, the confirm is not
local latest = tonumber(redis.call('GET', KEYS[1]) or '0')
if counter > latest or counter < 1 then return {'NEVER_ISSUED', txn} end
if counter < latest then return {'STALE_ITERATION', txn, tostring(latest)} end
if ttl > 0 then
  -- sealing: the caller confirms what it priced; the iteration (KBs for a big basket) is not
  -- copied into Lua and back over the wire, only checked
  if redis.call('HEXISTS', KEYS[2], counter) == 0 then return {'EXPIRED', txn} end
  -- a seal already here is of this counter (no counter was issued since it was set), so it
  -- holds only how many confirms hold it (a seal written before also has a 'counter' field,
  -- which nothing reads)
  redis.call('HINCRBY', KEYS[3], 'n', 1)
  redis.call('PEXPIRE', KEYS[3], ttl)
  if redis.call('EXISTS', KEYS[6]) == 0 then
    redis.call('HSET', KEYS[6], 'id', ARGV[4], 'status', 'HELD', 'attempts', 0, 'transactionId', txn,
               'counter', counter, 'payload', ARGV[5], 'createdAt', ARGV[6])
    redis.call('PEXPIRE', KEYS[6], ARGV[7])
  end
  return {'CONFIRMABLE', ''}
end
local iteration = redis.call('HGET', KEYS[2], counter)
if not iteration then return {'EXPIRED', txn} end
return {'CONFIRMABLE', iteration}
