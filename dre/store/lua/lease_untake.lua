-- lease_untake.lua (central): undo what lease_take.lua decided for a strict confirm whose commit
-- was then refused (nothing committed): the sale taken from the lease is given back to it, and
-- the decision is forgotten. Called only by the call that made the decision.
--
-- KEYS[1] the promotion's lease hash   KEYS[2] its counted-uses hash
-- ARGV[1] instance id   ARGV[2] transaction key   ARGV[3] amount (cents, >= 0; as taken)
--
-- Returns 1 when a sale was given back to the lease, 0 otherwise.
local inst = ARGV[1]
local seen = redis.call('HGET', KEYS[2], ARGV[2])
if not seen then return 0 end
redis.call('HDEL', KEYS[2], ARGV[2])
if seen ~= '1' then return 0 end
redis.call('HINCRBY', KEYS[1], inst .. ':usedAmount', -tonumber(ARGV[3]))
redis.call('HINCRBY', KEYS[1], inst .. ':usedRedemptions', -1)
return 1
