-- lease_take.lua (central): a strict confirm of a local instance (POST /admin/sync/confirm) -
-- take the sale of one promotion from the instance's lease if the lease has room for it, once per
-- transaction. Room: what was leased less what was used (forwarded sales) and given back
-- (returned or reclaimed at expiry), for the amount and, for a redemption-count budget, one
-- redemption; a lease past its expiry has none. Taken: the sale consumes nothing of the budget
-- (the lease was counted there when granted). Not taken: the promotion keeps its budget and
-- central's confirm consumes it, strictly. The decision is recorded under the transaction (as
-- lease_use.lua records its own: 1 = sold under the lease), so a replay decides nothing anew and
-- counts nothing; lease_untake.lua undoes a decision made for a commit that was then refused.
--
-- KEYS[1] the promotion's lease hash   KEYS[2] its counted-uses hash
-- ARGV[1] instance id   ARGV[2] transaction key   ARGV[3] amount (cents, >= 0)   ARGV[4] now (epoch ms)
--
-- Returns {taken, fresh}: taken 1 when the sale goes against the lease, 0 when it consumes the
-- budget; fresh 1 when decided now (and recorded), 0 when decided before or when the instance
-- holds no lease of the promotion (nothing recorded).
local inst = ARGV[1]
local f = redis.call('HMGET', KEYS[1], inst .. ':amount', inst .. ':redemptions', inst .. ':usedAmount',
                     inst .. ':usedRedemptions', inst .. ':returnedAmount', inst .. ':returnedRedemptions',
                     inst .. ':expiresAt')
if not f[1] and not f[2] then return {0, 0} end
local seen = redis.call('HGET', KEYS[2], ARGV[2])
if seen then return {seen == '1' and 1 or 0, 0} end
local amount = tonumber(ARGV[3])
local room = tonumber(f[7] or '0') == 0 or tonumber(ARGV[4]) < tonumber(f[7])
if room and f[1] then
  room = tonumber(f[1]) - tonumber(f[3] or '0') - tonumber(f[5] or '0') >= amount
end
if room and f[2] then
  room = tonumber(f[2]) - tonumber(f[4] or '0') - tonumber(f[6] or '0') >= 1
end
if not room then
  redis.call('HSET', KEYS[2], ARGV[2], 0)
  return {0, 1}
end
redis.call('HSET', KEYS[2], ARGV[2], 1)
redis.call('HINCRBY', KEYS[1], inst .. ':usedAmount', amount)
redis.call('HINCRBY', KEYS[1], inst .. ':usedRedemptions', 1)
return {1, 1}
