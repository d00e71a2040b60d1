-- promotions_write.lua: put, create or delete one promotion, or seed a whole set, and bump the
-- tenant's promotions version in the same step, so a reader that sees the new version sees the
-- new set.
--
-- KEYS[1] promotions hash   KEYS[2] version counter (coupon-type writes bump it too)
-- KEYS[3] written marker (set by every promotion write here, never by coupon-type writes)
-- KEYS[4] the promotion's budget hash   KEYS[5] exhausted-budgets set
-- KEYS[6] budget-remaining hash (cents left of each money budget)   (KEYS[4..6]: put, create, delete)
-- ARGV[1] "put" | "create" | "delete" | "seed-staged"
-- KEYS[4] (seed-staged) the staging hash
-- put/create/delete: ARGV[2] promotion id   ARGV[3] promotion JSON (put/create; "" for delete)
--   ARGV[4] amount limit (cents)   ARGV[5] redemption limit   (-1: none) of the written promotion:
--   whether its budget is used up is judged again under the new limits (a raised budget offers
--   it again, a lowered one below what was consumed withdraws it), and so is what is left of its
--   money budget (evaluate leaves it out for a larger discount); deleting it forgets both
-- seed-staged: the documents of KEYS[4], a staging hash the seeding worker filled in chunks
--       (100,000 documents in one script held Redis, and overran the store deadline, for
--       seconds), written only while the tenant's promotions were never written (no marker):
--       workers starting together seed once, and a tenant whose admin deleted every promotion is
--       not re-seeded by the next start. Moved onto KEYS[1] (RENAME, O(1)), or merged into it if
--       it exists without the marker; dropped when the tenant's promotions were written already
--
-- Returns {version, changed}: put 1 new / 0 replaced; create 1 created / 0 exists (nothing
-- written); delete 1 deleted / 0 absent; seed-staged number written (0: not seeded).
local mode = ARGV[1]
local version = tonumber(redis.call('GET', KEYS[2]) or 0)
local changed
if mode == 'put' then
  changed = redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
elseif mode == 'create' then
  changed = redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3])
  if changed == 0 then return {version, 0} end
elseif mode == 'delete' then
  changed = redis.call('HDEL', KEYS[1], ARGV[2])
  if changed == 0 then return {version, 0} end
elseif mode == 'seed-staged' then
  if redis.call('EXISTS', KEYS[3]) == 1 or redis.call('EXISTS', KEYS[4]) == 0 then
    redis.call('DEL', KEYS[4])
    return {version, 0}
  end
  changed = redis.call('HLEN', KEYS[4])
  if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('RENAME', KEYS[4], KEYS[1])
  else
    local staged = redis.call('HGETALL', KEYS[4])
    for i = 1, #staged, 2 do
      redis.call('HSET', KEYS[1], staged[i], staged[i + 1])
    end
    redis.call('DEL', KEYS[4])
  end
else
  return redis.error_reply('unknown mode ' .. tostring(mode))
end
if mode ~= 'seed-staged' then
  local used = redis.call('HMGET', KEYS[4], 'amount_consumed', 'redemptions_consumed')
  local alim, rlim = tonumber(ARGV[4] or '-1'), tonumber(ARGV[5] or '-1')
  local spent = (alim >= 0 and tonumber(used[1] or '0') >= alim)
             or (rlim >= 0 and tonumber(used[2] or '0') >= rlim)
  if mode == 'delete' or not spent then
    redis.call('SREM', KEYS[5], ARGV[2])
  else
    redis.call('SADD', KEYS[5], ARGV[2])
  end
  if mode == 'delete' or alim < 0 then
    redis.call('HDEL', KEYS[6], ARGV[2])
  else
    redis.call('HSET', KEYS[6], ARGV[2], alim - tonumber(used[1] or '0'))
  end
end
redis.call('SET', KEYS[3], 1)
return {redis.call('INCR', KEYS[2]), changed}
