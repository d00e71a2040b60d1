-- lease_use.lua (central): count a forwarded sale against the lease its store sold it under,
-- once per transaction. The sale then consumes nothing more of the budget (its lease was
-- counted there when it was granted). A sale the store confirmed (by its clock) before central
-- reclaimed the rest of its expired lease (lease_expire.lua) was not among the sales central
-- knew of then: the lease no longer holds it, so it consumes the budget itself - even past the
-- limit: the sale was made and stands - and is reported as sold on an expired lease.
--
-- KEYS[1] the promotion's lease hash   KEYS[2] its counted-uses hash   KEYS[3] its budget hash
-- KEYS[4] exhausted-budgets set
-- ARGV[1] instance id   ARGV[2] forwarded transaction id   ARGV[3] amount (cents)
-- ARGV[4] confirmed at (epoch ms, the instance's clock)   ARGV[5] promotion id
-- ARGV[6] amount limit (cents; -1: none)   ARGV[7] redemption limit (-1: none)
--
-- Returns 1 when the sale was sold under a lease of this instance (counted now or before),
-- 2 when it was sold on a lease reclaimed since (counted as consumed, now or before), 0 when
-- the instance holds no lease of this promotion (the sale consumes the budget itself).
local inst = ARGV[1]
if redis.call('HEXISTS', KEYS[1], inst .. ':amount') == 0
   and redis.call('HEXISTS', KEYS[1], inst .. ':redemptions') == 0 then
  return 0
end
local seen = redis.call('HGET', KEYS[2], ARGV[2])
if seen then return tonumber(seen) end
local reclaimed = tonumber(redis.call('HGET', KEYS[1], inst .. ':reclaimedAt') or '-1')
if reclaimed >= 0 and tonumber(ARGV[4]) < reclaimed then
  redis.call('HSET', KEYS[2], ARGV[2], 2)
  local a = redis.call('HINCRBY', KEYS[3], 'amount_consumed', ARGV[3])
  local r = redis.call('HINCRBY', KEYS[3], 'redemptions_consumed', 1)
  local alim, rlim = tonumber(ARGV[6]), tonumber(ARGV[7])
  if (alim >= 0 and a >= alim) or (rlim >= 0 and r >= rlim) then redis.call('SADD', KEYS[4], ARGV[5]) end
  return 2
end
redis.call('HSET', KEYS[2], ARGV[2], 1)
redis.call('HINCRBY', KEYS[1], inst .. ':usedAmount', ARGV[3])
redis.call('HINCRBY', KEYS[1], inst .. ':usedRedemptions', 1)
return 1
