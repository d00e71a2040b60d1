-- code_changes_log.lua: log that coupon codes changed (created, reserved, redeemed, cancelled,
-- activated, voided, claimed by a confirm), for the delta feed local instances page through
-- (their INDIVIDUAL codes are synced down, docs/local-store.md). A log entry names the code;
-- the feed sends the code's state as it is when read.
--
-- KEYS[1] change log zset (code -> sequence number of its last change)   KEYS[2] sequence counter
-- ARGV[1] the first code; ARGV[i] code i
--
-- Returns the last sequence number issued.
local seq = redis.call('INCRBY', KEYS[2], #ARGV) - #ARGV
for i = 1, #ARGV do
  seq = seq + 1
  redis.call('ZADD', KEYS[1], seq, ARGV[i])
end
return seq
