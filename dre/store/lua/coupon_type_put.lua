-- coupon_type_put.lua: create or replace a coupon type; for a GENERIC type also create or update
-- its one shared code (limits and validity follow the type; uses made so far are kept).
--
-- KEYS[1] coupon type hash   KEYS[2] tenant set of type ids
-- KEYS[3] coupon hash of the GENERIC code (a never-written key for INDIVIDUAL types)
-- KEYS[4] the tenant's promotions version (bumped: a type's promotionIds gate promotions, so
--         every worker rebuilds its promotion set when a type changes)
-- ARGV[1] id   ARGV[2] kind (GENERIC|INDIVIDUAL)   ARGV[3] status   ARGV[4] prefix
-- ARGV[5] codeLength   ARGV[6] maxRedemptions (-1: none)   ARGV[7] maxRedemptionsPerCustomer
-- ARGV[8] validFrom (ms or "")   ARGV[9] validTo (ms or "")   ARGV[10] promotionIds (JSON)
-- ARGV[11] generic code or ""   ARGV[12] the type as JSON (what the admin API answers)
-- ARGV[13] now (ms)   ARGV[14] "1": create only (refuse to replace an existing type)
-- ARGV[15] isStackable ("1"|"0": "0" = its codes are not combined with other codes)
--
-- Returns 1 if the type was new, 0 if replaced.
-- Errors: COUPON_CODE_TAKEN code (the GENERIC code exists and belongs to another type);
-- ALREADY_EXISTS id (create only, the type exists).
local id, kind, code = ARGV[1], ARGV[2], ARGV[11]
if ARGV[14] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then
  return fail('ALREADY_EXISTS', id, 'coupon type exists')
end
if kind == 'GENERIC' then
  local owner = redis.call('HGET', KEYS[3], 'typeId')
  if owner and owner ~= id then return fail('COUPON_CODE_TAKEN', code, owner) end
end
local is_new = redis.call('EXISTS', KEYS[1]) == 0 and 1 or 0
redis.call('HSET', KEYS[1], 'id', id, 'kind', kind, 'status', ARGV[3], 'prefix', ARGV[4],
           'codeLength', ARGV[5], 'max', ARGV[6], 'maxPerCustomer', ARGV[7],
           'validFrom', ARGV[8], 'validTo', ARGV[9], 'promotionIds', ARGV[10], 'code', code,
           'json', ARGV[12], 'stackable', ARGV[15])
redis.call('SADD', KEYS[2], id)
if kind == 'GENERIC' then
  redis.call('HSETNX', KEYS[3], 'uses', 0)
  redis.call('HSETNX', KEYS[3], 'createdAt', ARGV[13])
  -- The shared code is ACTIVE while its type is (every coupon script checks the type's status
  -- too); a voided code stays CANCELLED for good: no write of its type revives it. (One that was
  -- CANCELLED only because its type was deleted comes back with the type.)
  if redis.call('HEXISTS', KEYS[3], 'voidedAt') == 0 then
    redis.call('HSET', KEYS[3], 'status', ARGV[3] == 'ACTIVE' and 'ACTIVE' or 'CREATED')
  end
  redis.call('HSET', KEYS[3], 'code', code, 'kind', 'GENERIC', 'typeId', id, 'customerId', '',
             'validFrom', ARGV[8], 'validTo', ARGV[9], 'max', ARGV[6],
             'maxPerCustomer', ARGV[7], 'promotionIds', ARGV[10])
end
redis.call('INCR', KEYS[4])
return is_new
