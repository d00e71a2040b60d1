-- lease_grant.lua (central): lease a local instance a share of a promotion's budget, or renew
-- it. A lease is taken out of the budget at once (counted in its consumed figures), so that no
-- other store and no sale at central can use it: whatever the stores sell offline within their
-- leases, the budget is never overrun. Renewed when less than half a share is left of what was
-- leased (as far as central knows from forwarded sales and returns: lease_return.lua), by at
-- most what the budget has left. Every call (each pull of the instance) also sets the lease's
-- expiry to now + ttl (central's clock): renewal online extends it; an instance gone for longer
-- stops selling from it (lease_release.lua) and central reclaims its rest (lease_expire.lua).
--
-- KEYS[1] the promotion's budget hash   KEYS[2] its lease hash   KEYS[3] leased-promotions set
-- KEYS[4] exhausted-budgets set (a grant that takes the last of a budget: central's own
--         evaluate stops offering it, as after a confirm that used it up)
-- ARGV[1] instance id   ARGV[2] promotion id   ARGV[3] amount limit (cents)   ARGV[4] redemption
-- limit (-1: no such limit)   ARGV[5] amount share (cents)   ARGV[6] redemption share
-- ARGV[7] now (epoch ms)   ARGV[8] ttl (ms)
--
-- Returns {amount leased so far or -1, redemptions leased so far or -1, expiresAt (epoch ms; 0:
-- nothing leased)} (cumulative; -1 where the budget has no such limit): the limits the instance
-- enforces on its own sales, and until when.
local inst = ARGV[1]
local function grant(limit, share, field, consumed_field)
  if limit < 0 then return -1 end
  local granted = tonumber(redis.call('HGET', KEYS[2], inst .. ':' .. field) or '0')
  local Field = field:sub(1, 1):upper() .. field:sub(2)
  local used = tonumber(redis.call('HGET', KEYS[2], inst .. ':used' .. Field) or '0')
             + tonumber(redis.call('HGET', KEYS[2], inst .. ':returned' .. Field) or '0')
  if granted - used < share / 2 then
    local room = limit - tonumber(redis.call('HGET', KEYS[1], consumed_field) or '0')
    local g = math.min(share, room)
    if g > 0 then
      if redis.call('HINCRBY', KEYS[1], consumed_field, g) >= limit then
        redis.call('SADD', KEYS[4], ARGV[2])
      end
      granted = redis.call('HINCRBY', KEYS[2], inst .. ':' .. field, g)
      redis.call('SADD', KEYS[3], ARGV[2])
    end
  end
  return granted
end
local a = grant(tonumber(ARGV[3]), tonumber(ARGV[5]), 'amount', 'amount_consumed')
local r = grant(tonumber(ARGV[4]), tonumber(ARGV[6]), 'redemptions', 'redemptions_consumed')
local expires = 0
if redis.call('HEXISTS', KEYS[2], inst .. ':amount') == 1 or redis.call('HEXISTS', KEYS[2], inst .. ':redemptions') == 1 then
  expires = tonumber(ARGV[7]) + tonumber(ARGV[8])
  redis.call('HSET', KEYS[2], inst .. ':expiresAt', expires)
end
return {a, r, expires}
