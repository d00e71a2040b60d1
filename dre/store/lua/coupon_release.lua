-- coupon_release.lua: the sweeper's step for one code: release its expired reservations (the
-- same lazy expiry every coupon script runs first) and re-index its next expiry.
--
-- KEYS[1]..KEYS[7] the code's keys (see code_keys in _common.lua)   KEYS[8] tenant expiry zset
-- ARGV[1] code   ARGV[2] now (ms)   ARGV[3] the code's typeId
--
-- Returns 1 if the code still has a live reservation indexed, else 0.
local code, now = ARGV[1], tonumber(ARGV[2])
local k = code_keys(1)
local c = load_code(k, ARGV[3])
if c == nil then
  redis.call('ZREM', KEYS[8], code)
  return 0
end
c = release_expired(c, k, KEYS[8], code, now)
reindex_expiry(c, k, KEYS[8], code)
if redis.call('ZSCORE', KEYS[8], code) then return 1 end
return 0
