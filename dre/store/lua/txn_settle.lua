-- txn_settle.lua: after confirm.lua answered (in the tenant's slot), the transaction's side, in its
-- own slot: let go of the seal (txn_seal.lua), and keep what the answer means for the lane's next
-- evaluates - a copy of the confirmed answer (replays find it while the lane is still at it, and
-- the transaction's keys are kept as long as the answer), or the promotion whose budget refused
-- the confirm (the next evaluate prices without it: next_counter.lua). A confirm's done marker
-- (its counter, kept long: txn_seal.lua refuses any later confirm of the transaction) is written
-- here too; if the worker died before this step, the job worker writes it (job_start.lua). The side-effects job that
-- txn_seal.lua wrote HELD becomes PENDING (kept until it runs) once the answer is a confirm; a
-- refused confirm's HELD job is dropped when no other confirm of the counter holds the seal.
--
-- KEYS[1] counter string   KEYS[2] iterations hash (the answer copy goes there: fields
-- answerCounter, answer - kept exactly as long as the iterations, one key less to write and
-- expire per confirm)   KEYS[3] seal hash   KEYS[4] the answer copy of the release before (unused)
-- KEYS[5] refused-promotions set   KEYS[6] job hash   KEYS[7] done marker (the counter confirmed)
-- ARGV[1] counter   ARGV[2] TTL of the transaction keys (ms)   ARGV[3] the confirmed answer, or ""
-- ARGV[4] the promotion id a budget refused, or ""   ARGV[5] "1": the commit answered a refusal
--   (its outcome is known: nothing was written; otherwise a HELD job stays for the job worker to
--   resolve against the tenant's slot)   ARGV[6] ttl of the done marker (ms)
--
-- Returns 2 when the HELD job was dropped (the caller takes it off its queue bucket), else 1.
local last = redis.call('HINCRBY', KEYS[3], 'n', -1) <= 0
if last then redis.call('DEL', KEYS[3]) end
local ttl = ARGV[2]
local held = redis.call('HGET', KEYS[6], 'status') == 'HELD'
if ARGV[3] ~= '' then
  if held then
    redis.call('HSET', KEYS[6], 'status', 'PENDING')
    redis.call('PERSIST', KEYS[6])
  end
  redis.call('HSET', KEYS[2], 'answerCounter', ARGV[1], 'answer', ARGV[3])
  redis.call('SET', KEYS[7], ARGV[1], 'PX', ARGV[6])
  for i = 1, 2 do redis.call('PEXPIRE', KEYS[i], ttl) end
end
local dropped = ARGV[5] == '1' and held and last
if dropped then redis.call('DEL', KEYS[6]) end
if ARGV[4] ~= '' then
  redis.call('SADD', KEYS[5], ARGV[4])
  redis.call('PEXPIRE', KEYS[5], ttl)
end
return dropped and 2 or 1
