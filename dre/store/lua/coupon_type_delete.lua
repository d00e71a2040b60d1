-- coupon_type_delete.lua: delete a coupon type. A GENERIC type's shared code is CANCELLED with
-- it (a code of a type that no longer exists must not stay usable); INDIVIDUAL codes already
-- drawn keep their own state (they carry their promotionIds; cancel them one by one if needed).
-- The promotions version is bumped: the type's promotionIds no longer gate those promotions.
--
-- KEYS[1] coupon type hash   KEYS[2] tenant set of type ids   KEYS[3] promotions version
-- KEYS[4] coupon hash of the type's GENERIC code (a never-written key for INDIVIDUAL types)
-- ARGV[1] id   ARGV[2] now (ms)
--
-- Returns 1 if deleted, 0 if there was no such type (nothing changed).
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local kind = redis.call('HGET', KEYS[1], 'kind')
if kind == 'GENERIC' and redis.call('HGET', KEYS[4], 'typeId') == ARGV[1] then
  redis.call('HSET', KEYS[4], 'status', 'CANCELLED', 'cancelledAt', ARGV[2])
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('INCR', KEYS[3])
return 1
