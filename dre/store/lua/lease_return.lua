-- lease_return.lua (central): a local instance gives back the unused rest of its lease of a
-- promotion's budget (it stopped selling it first: lease_release.lua), once per return id. What
-- comes back is no longer consumed: other stores and central can sell it again.
--
-- KEYS[1] the promotion's budget hash   KEYS[2] its lease hash   KEYS[3] its returns hash
-- (return id -> 1)   KEYS[4] exhausted-budgets set
-- ARGV[1] instance id   ARGV[2] promotion id   ARGV[3] return id   ARGV[4] amount (cents)
-- ARGV[5] redemptions   ARGV[6] amount limit (cents)   ARGV[7] redemption limit (-1: none)
--
-- Returns {1, amount, redemptions} as taken back (never more than the instance's outstanding
-- lease: leased - used - returned), or {0, 0, 0} for a return id taken back before.
local inst = ARGV[1]
if redis.call('HSETNX', KEYS[3], ARGV[3], 1) == 0 then return {0, 0, 0} end
local function give(n, field, used_field, returned_field, consumed_field)
  local leased = tonumber(redis.call('HGET', KEYS[2], inst .. ':' .. field) or '0')
  local used = tonumber(redis.call('HGET', KEYS[2], inst .. ':' .. used_field) or '0')
  local back = tonumber(redis.call('HGET', KEYS[2], inst .. ':' .. returned_field) or '0')
  local g = math.max(0, math.min(n, leased - used - back))
  if g > 0 then
    redis.call('HINCRBY', KEYS[2], inst .. ':' .. returned_field, g)
    redis.call('HINCRBY', KEYS[1], consumed_field, -g)
  end
  return g
end
local a = give(tonumber(ARGV[4]), 'amount', 'usedAmount', 'returnedAmount', 'amount_consumed')
local r = give(tonumber(ARGV[5]), 'redemptions', 'usedRedemptions', 'returnedRedemptions', 'redemptions_consumed')
local used = redis.call('HMGET', KEYS[1], 'amount_consumed', 'redemptions_consumed')
local alim, rlim = tonumber(ARGV[6]), tonumber(ARGV[7])
if not ((alim >= 0 and tonumber(used[1] or '0') >= alim) or (rlim >= 0 and tonumber(used[2] or '0') >= rlim)) then
  redis.call('SREM', KEYS[4], ARGV[2])  -- there is budget again
end
return {1, a, r}
