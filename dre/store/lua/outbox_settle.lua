-- outbox_settle.lua: take a forwarded transaction off the queue with central's verdict.
--
-- KEYS[1] outbox list   KEYS[2] outbox items hash   KEYS[3] settled hash
-- ARGV[1] pending transaction id   ARGV[2] the verdict (JSON: accepted, or refused with its reason)
--
-- Returns 1 when settled now, 0 when it was not pending (settled already).
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('LREM', KEYS[1], 1, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 1
