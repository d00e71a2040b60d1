-- next_counter.lua: issue the next transactionCounter of a transaction and keep its priced
-- iteration. INCR is atomic, so counters are gap-free and unique under any concurrency.
-- Only the latest iteration is kept: only it can be confirmed.
--
-- KEYS[1] counter string   KEYS[2] iterations hash (counter -> JSON)
-- ARGV[1] the priced iteration (JSON)   ARGV[2] ttl of both keys (ms)
--
-- Returns the new counter (1 on the first evaluate of the transaction).
local counter = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], counter, ARGV[1])
if counter > 1 then redis.call('HDEL', KEYS[2], counter - 1) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return counter
