-- sync_conflict_add.lua (central): record what conflicted when a forwarded transaction was
-- accepted. Called after each refusal with everything found so far (so a crash before the final
-- commit loses none of it: the retry finds the same refusals); the transaction is listed once.
--
-- KEYS[1] conflicts list   KEYS[2] this transaction's conflict record
-- ARGV[1] transaction id (transactionId/counter)   ARGV[2] the record (JSON)
--
-- Returns 1 when listed now, 0 when it was listed before (its record is replaced).
local new = redis.call('EXISTS', KEYS[2]) == 0
redis.call('SET', KEYS[2], ARGV[2])
if not new then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
return 1
