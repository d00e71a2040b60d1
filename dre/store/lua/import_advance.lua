-- import_advance.lua: record one processed chunk of an article import job (counts, errors),
-- drop the chunk, renew the lease; after the last chunk the job is COMPLETED. Only the lease
-- holder advances, and only from the chunk the job is at, so a chunk is never counted twice
-- even when a worker that lost its lease finishes late.
--
-- The job's keys have a cluster slot of their own; the tenant's pending set is not touched here
-- (the caller removes a COMPLETED job from it: store.imports.settle).
--
-- KEYS[1] job hash   KEYS[2] this chunk   KEYS[3] job's error list
-- ARGV[1] owner   ARGV[2] chunk index   ARGV[3] processed   ARGV[4] failed   ARGV[5] created
-- ARGV[6] updated   ARGV[7] now (ms)   ARGV[8] lease (ms)   ARGV[9] max errors kept
-- ARGV[10] finished-job ttl (ms)   ARGV[11] job id   ARGV[12..] errors (JSON each)
--
-- Returns 1 if recorded, 0 if the caller does not hold the lease or the chunk is not the next.
local j = hgetall(KEYS[1])
if j.owner ~= ARGV[1] or tonumber(j.nextChunk or 0) ~= tonumber(ARGV[2]) or j.status ~= 'RUNNING' then
  return 0
end
local now, cap = tonumber(ARGV[7]), tonumber(ARGV[9])
local kept = redis.call('LLEN', KEYS[3])
for i = 12, #ARGV do
  if kept >= cap then break end
  redis.call('RPUSH', KEYS[3], ARGV[i])
  kept = kept + 1
end
redis.call('HINCRBY', KEYS[1], 'processed', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'failed', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'created', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'updated', ARGV[6])
local next_chunk = tonumber(ARGV[2]) + 1
redis.call('HSET', KEYS[1], 'nextChunk', next_chunk, 'leaseUntil', now + tonumber(ARGV[8]), 'updatedAt', now)
redis.call('DEL', KEYS[2])
if next_chunk >= tonumber(j.chunks) then
  redis.call('HSET', KEYS[1], 'status', 'COMPLETED', 'completedAt', now, 'owner', '')
  redis.call('PEXPIRE', KEYS[1], ARGV[10])
  redis.call('PEXPIRE', KEYS[3], ARGV[10])
end
return 1
