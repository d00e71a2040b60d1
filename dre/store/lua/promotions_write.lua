-- promotions_write.lua: put or delete one promotion and bump the tenant's promotions version
-- in the same step, so a reader that sees the new version sees the new set.
--
-- KEYS[1] promotions hash   KEYS[2] version counter
-- ARGV[1] "put" | "delete"   ARGV[2] promotion id   ARGV[3] promotion JSON (put only)
--
-- Returns {version, changed (put: 1 new / 0 replaced; delete: 1 deleted / 0 absent)}
local changed
if ARGV[1] == 'put' then
  changed = redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
else
  changed = redis.call('HDEL', KEYS[1], ARGV[2])
  if changed == 0 then return {tonumber(redis.call('GET', KEYS[2]) or 0), 0} end
end
return {redis.call('INCR', KEYS[2]), changed}
