-- outbox_accepted.lua: record central's verdict on a transaction central accepted before this
-- local instance committed it (a confirm judged by central first, docs/local-store.md): it is
-- settled from the start, so outbox_add.lua never queues it (the forwarder never sends it) and
-- outbox_pending.lua does not count its side-effects job.
--
-- KEYS[1] outbox items hash   KEYS[2] settled hash
-- ARGV[1] pending transaction id (transactionId/counter)   ARGV[2] central's verdict (JSON)
--
-- Returns 1 when recorded, 0 when the transaction is queued already (the forwarder settles it:
-- central then answers it as a replay).
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
