-- sync_iteration_put.lua (central): keep the priced iteration of a transaction a local instance
-- confirmed, under the local counter, so that confirm (txn_seal.lua, confirm.lua, txn_settle.lua)
-- can commit it as if central had priced it. Called again (same counter) to replace it with one
-- stripped of what conflicted. In the transaction's own slot (dre/store/keys.py): the caller has
-- asked the tenant's slot first whether the transaction is confirmed already (confirm.lua,
-- judging only); the commit judges that again, atomically with its writes.
--
-- KEYS[1] txn counter   KEYS[2] txn iterations hash (with the answer copy: txn_settle.lua)
-- KEYS[3] the answer copy of the release before (a hash of its own)
-- ARGV[1] counter   ARGV[2] the iteration (JSON)   ARGV[3] ttl of the keys (ms)
--
-- Returns 1 when kept; 0 when the transaction is confirmed already (its answer copy is here: a
-- replay, the confirm then answers it); -1 when central issued a later counter for this
-- transactionId itself (the id is used twice: not this transaction's to commit).
if redis.call('HEXISTS', KEYS[2], 'answer') == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local counter = tonumber(ARGV[1])
local latest = tonumber(redis.call('GET', KEYS[1]) or '0')
if latest > counter then return -1 end
redis.call('SET', KEYS[1], counter, 'PX', ARGV[3])
redis.call('HSET', KEYS[2], counter, ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
