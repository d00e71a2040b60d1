-- lease_use.lua (central): count a forwarded sale against the lease its store sold it under,
-- once per transaction. The sale then consumes nothing more of the budget (its lease was
-- counted there when it was granted).
--
-- KEYS[1] the promotion's lease hash   KEYS[2] its counted-uses hash
-- ARGV[1] instance id   ARGV[2] forwarded transaction id   ARGV[3] amount (cents)
--
-- Returns 1 when the sale was sold under a lease of this instance (counted now or before),
-- 0 when the instance holds no lease of this promotion (the sale consumes the budget itself).
local inst = ARGV[1]
if redis.call('HEXISTS', KEYS[1], inst .. ':amount') == 0
   and redis.call('HEXISTS', KEYS[1], inst .. ':redemptions') == 0 then
  return 0
end
if redis.call('HSETNX', KEYS[2], ARGV[2], 1) == 1 then
  redis.call('HINCRBY', KEYS[1], inst .. ':usedAmount', ARGV[3])
  redis.call('HINCRBY', KEYS[1], inst .. ':usedRedemptions', 1)
end
return 1
