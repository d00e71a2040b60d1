-- store_settings_write.lua: put or delete one store's settings, or the tenant's default, and bump
-- the tenant's promotions version in the same step: workers reload their pricing rules (store
-- time zones included) when it moves, so a reader that sees the new version sees the settings.
--
-- KEYS[1] store settings hash (storeId -> JSON)   KEYS[2] default settings string (JSON)
-- KEYS[3] promotions version counter
-- ARGV[1] "put" | "delete" | "default"
-- put: ARGV[2] storeId, ARGV[3] settings JSON      delete: ARGV[2] storeId
-- default: ARGV[2] settings JSON ("" clears the default)
--
-- Returns {version, changed}: put 1 new / 0 replaced; delete 1 deleted / 0 absent (nothing
-- written, version not bumped); default 1 (always written).
local mode = ARGV[1]
local changed
if mode == 'put' then
  changed = redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
elseif mode == 'delete' then
  changed = redis.call('HDEL', KEYS[1], ARGV[2])
  if changed == 0 then return {tonumber(redis.call('GET', KEYS[3]) or 0), 0} end
elseif mode == 'default' then
  if ARGV[2] == '' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[2]) end
  changed = 1
else
  return redis.error_reply('unknown mode ' .. tostring(mode))
end
return {redis.call('INCR', KEYS[3]), changed}
