-- job_start.lua: mark a claimed job RUNNING and count the attempt. A job already finished (a
-- duplicate delivery after a lease ran out) is not started again: its lease is dropped.
--
-- KEYS[1] job hash   KEYS[2] lease zset
-- ARGV[1] job id   ARGV[2] now (ms)
--
-- Returns {status, attempts, payload}: status RUNNING means "run it"; COMPLETED / FAILED
-- mean "already done, skip"; "" means the job hash is gone (skip).
local f = redis.call('HMGET', KEYS[1], 'status', 'attempts', 'payload')
if not f[1] then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {'', 0, ''}
end
if f[1] == 'COMPLETED' or f[1] == 'FAILED' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {f[1], tonumber(f[2]), f[3]}
end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'status', 'RUNNING')
redis.call('HSETNX', KEYS[1], 'startedAt', ARGV[2])
return {'RUNNING', attempts, f[3]}
