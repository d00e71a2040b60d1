-- txn_settle.lua: after confirm.lua answered (in the tenant's slot), the transaction's side, in its
-- own slot: let go of the seal (txn_seal.lua), and keep what the answer means for the lane's next
-- evaluates - a copy of the confirmed answer (replays find it while the lane is still at it, and
-- the transaction's keys are kept as long as the answer), or the promotion whose budget refused
-- the confirm (the next evaluate prices without it: next_counter.lua).
--
-- KEYS[1] counter string   KEYS[2] iterations hash   KEYS[3] seal hash   KEYS[4] answer copy hash
-- KEYS[5] refused-promotions set
-- ARGV[1] counter   ARGV[2] TTL of the transaction keys (ms)   ARGV[3] the confirmed answer, or ""
-- ARGV[4] the promotion id a budget refused, or ""
--
-- Returns 1.
if redis.call('HINCRBY', KEYS[3], 'n', -1) <= 0 then redis.call('DEL', KEYS[3]) end
local ttl = ARGV[2]
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[4], 'counter', ARGV[1], 'answer', ARGV[3])
  for i = 1, 2 do redis.call('PEXPIRE', KEYS[i], ttl) end
  redis.call('PEXPIRE', KEYS[4], ttl)
end
if ARGV[4] ~= '' then
  redis.call('SADD', KEYS[5], ARGV[4])
  redis.call('PEXPIRE', KEYS[5], ttl)
end
return 1
