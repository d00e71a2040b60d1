-- coupon_release.lua: the sweeper's step for one code: release its expired reservations (the
-- same lazy expiry every coupon script runs first) and re-index its next expiry.
--
-- KEYS[1] coupon hash   KEYS[2] holds zset   KEYS[3] tenant expiry zset
-- ARGV[1] code   ARGV[2] now (ms)
--
-- Returns 1 if the code still has a live reservation indexed, else 0.
local code, now = ARGV[1], tonumber(ARGV[2])
local c = hgetall(KEYS[1])
if c.status == nil then
  redis.call('ZREM', KEYS[3], code)
  return 0
end
c = release_expired(c, KEYS[1], KEYS[2], KEYS[3], code, now)
reindex_expiry(c, KEYS[2], KEYS[3], code)
if redis.call('ZSCORE', KEYS[3], code) then return 1 end
return 0
