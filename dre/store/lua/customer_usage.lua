-- customer_usage.lua: how often one customer has redeemed each of several promotions (read only).
-- Evaluate reads it once per basket for the promotions with a per-customer limit, so that a
-- customer at the limit is not offered the promotion again (confirm stays the atomic guard).
-- One script rather than a call per promotion: one round trip whatever the number.
--
-- KEYS[1..n] the budget customers hash of each promotion (customerId -> redemptions; confirm.lua
--            counts them)
-- ARGV[1] customerId
--
-- Returns {redemptions of promotion 1, ...} (0 where the customer has none).
local out = {}
for i = 1, #KEYS do
  out[i] = tonumber(redis.call('HGET', KEYS[i], ARGV[1]) or '0')
end
return out
