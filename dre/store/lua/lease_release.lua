-- lease_release.lua (a local instance): stop selling the unused rest of a budget lease, to give
-- it back to central. The rest is counted as consumed here, in the same counters every local
-- confirm checks (confirm.lua), so no sale - not even one priced before this step - can use
-- it afterwards; the return is kept until central took it back (lease_return.lua).
--
-- KEYS[1] the promotion's budget hash   KEYS[2] pending returns hash (return id -> JSON)
-- KEYS[3] exhausted-budgets set
-- ARGV[1] promotion id   ARGV[2] amount leased (cents, cumulative; -1: none)   ARGV[3]
-- redemptions leased (-1: none)   ARGV[4] return id
--
-- Returns {amount, redemptions} released (0, 0: nothing left to give back; nothing written).
local used = redis.call('HMGET', KEYS[1], 'amount_consumed', 'redemptions_consumed')
local alim, rlim = tonumber(ARGV[2]), tonumber(ARGV[3])
local a = alim >= 0 and math.max(0, alim - tonumber(used[1] or '0')) or 0
local r = rlim >= 0 and math.max(0, rlim - tonumber(used[2] or '0')) or 0
if a == 0 and r == 0 then return {0, 0} end
redis.call('HINCRBY', KEYS[1], 'amount_consumed', a)
redis.call('HINCRBY', KEYS[1], 'redemptions_consumed', r)
redis.call('HINCRBY', KEYS[1], 'amount_returned', a)
redis.call('HINCRBY', KEYS[1], 'redemptions_returned', r)
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[4], cjson.encode({promotionId = ARGV[1], returnId = ARGV[4], amount = a,
                                                   redemptions = r}))
return {a, r}
