-- outbox_add.lua: queue a confirmed transaction for forwarding to central, once.
--
-- KEYS[1] outbox list   KEYS[2] outbox items hash   KEYS[3] settled hash
-- ARGV[1] pending transaction id (transactionId/counter)   ARGV[2] what is forwarded (JSON)
--
-- Returns 1 when queued, 0 when it was queued or settled before (a side-effects job that runs
-- again queues nothing twice).
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return 0 end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
return 1
