-- lease_expire.lua (central): reclaim the unused rest of every lease of one promotion's budget
-- whose expiry (lease_grant.lua: last grant or renewal + ttl) passed more than a grace period
-- ago. Its instance stopped selling from it at the expiry by its own clock (lease_release.lua,
-- even offline), so the rest - leased, neither known sold (forwarded sales) nor given back - is
-- no longer consumed: other stores and central can sell it again. It counts as returned (and
-- as expired, for the lease list); a sale the instance made before the expiry and forwards only
-- after this is counted by lease_use.lua as sold on an expired lease.
--
-- KEYS[1] the promotion's budget hash   KEYS[2] its lease hash   KEYS[3] exhausted-budgets set
-- ARGV[1] promotion id   ARGV[2] now (epoch ms)   ARGV[3] grace (ms)   ARGV[4] ttl (ms: a lease
-- granted before leases expired gets its first expiry now + ttl)   ARGV[5] amount limit (cents;
-- -1: none)   ARGV[6] redemption limit (-1: none)
--
-- Returns the number of instances whose lease was reclaimed now.
local now, grace = tonumber(ARGV[2]), tonumber(ARGV[3])
local raw = redis.call('HGETALL', KEYS[2])
local fields = {}
for i = 1, #raw, 2 do fields[raw[i]] = tonumber(raw[i + 1]) end
local insts = {}
for f, _ in pairs(fields) do
  local inst, name = f:match('^(.*):([^:]*)$')
  if inst and (name == 'amount' or name == 'redemptions') then insts[inst] = true end
end
local reclaimed = 0
for inst, _ in pairs(insts) do
  local expires = fields[inst .. ':expiresAt']
  if not expires then
    redis.call('HSET', KEYS[2], inst .. ':expiresAt', now + tonumber(ARGV[4]))
  elseif expires + grace <= now then
    local took = false
    for _, l in ipairs({{'amount', 'Amount', 'amount_consumed'}, {'redemptions', 'Redemptions', 'redemptions_consumed'}}) do
      local leased = fields[inst .. ':' .. l[1]]
      if leased then
        local rest = leased - (fields[inst .. ':used' .. l[2]] or 0) - (fields[inst .. ':returned' .. l[2]] or 0)
        if rest > 0 then
          redis.call('HINCRBY', KEYS[2], inst .. ':returned' .. l[2], rest)
          redis.call('HINCRBY', KEYS[2], inst .. ':expired' .. l[2], rest)
          redis.call('HINCRBY', KEYS[1], l[3], -rest)
          took = true
        end
      end
    end
    if took then
      redis.call('HSET', KEYS[2], inst .. ':reclaimedAt', now)
      reclaimed = reclaimed + 1
    end
  end
end
if reclaimed > 0 then
  local used = redis.call('HMGET', KEYS[1], 'amount_consumed', 'redemptions_consumed')
  local alim, rlim = tonumber(ARGV[5]), tonumber(ARGV[6])
  if not ((alim >= 0 and tonumber(used[1] or '0') >= alim) or (rlim >= 0 and tonumber(used[2] or '0') >= rlim)) then
    redis.call('SREM', KEYS[3], ARGV[1])  -- there is budget again
  end
end
return reclaimed
