-- import_claim.lua: take (or renew) the lease on an article import job, so that exactly one
-- worker processes it at a time; a job whose lease ran out (its worker died) can be taken over
-- and resumes at its next unprocessed chunk.
--
-- KEYS[1] job hash
-- ARGV[1] owner token   ARGV[2] now (ms)   ARGV[3] lease (ms)
--
-- Returns {nextChunk, chunks, chunkSize} when the caller holds the lease now, {} when the job is unknown,
-- finished, or leased to another owner that is still alive.
local j = hgetall(KEYS[1])
if j.status ~= 'QUEUED' and j.status ~= 'RUNNING' then return {} end
local now = tonumber(ARGV[2])
if j.owner and j.owner ~= '' and j.owner ~= ARGV[1] and num(j.leaseUntil, 0) > now then return {} end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'leaseUntil', now + tonumber(ARGV[3]), 'status', 'RUNNING')
redis.call('HSETNX', KEYS[1], 'startedAt', now)
return {tonumber(j.nextChunk or 0), tonumber(j.chunks), tonumber(j.chunkSize or 0)}
