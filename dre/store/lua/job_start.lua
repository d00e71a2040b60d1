-- job_start.lua: mark a claimed job RUNNING and count the attempt, in the job's (transaction's)
-- slot. A job already finished (a duplicate delivery) or gone is not started: the caller drops
-- its queue entry. A job still HELD was queued by a confirm whose commit has not settled
-- (txn_seal.lua .. txn_settle.lua): while the confirm's seal is there, or for ARGV[4] ms after
-- the job was written (as long as a commit whose reply was lost can still land), it is in flight
-- (try later); after that its worker died or its outcome was lost, and the caller asks the
-- tenant's slot whether the commit landed: ARGV[3] = "1" (it did) starts the job.
-- A confirm queues its job in the same round trip as it seals (txn_seal.lua writes the job HELD;
-- the queue bucket is another slot, so on a cluster the entry may land first): a job not written
-- yet whose counter is still the transaction's latest, its iteration kept and not confirmed, may
-- still be sealed - it is put off as HELD in flight, not dropped as gone.
--
-- KEYS[1] job hash   KEYS[2] the transaction's seal hash   KEYS[3] its done marker
-- KEYS[4] the transaction's counter   KEYS[5] its iterations hash
-- ARGV[1] job id   ARGV[2] now (ms)   ARGV[3] "1": the confirm of this job is committed
-- ARGV[4] how long a HELD job counts as in flight (ms)   ARGV[5] ttl of the done marker (ms): a
--   HELD job found committed also writes its transaction's done marker (txn_settle.lua did not)
-- ARGV[6] the job's counter
--
-- Returns {status, attempts, payload}: status RUNNING means "run it"; COMPLETED / FAILED
-- mean "already done, skip"; "" means the job hash is gone (skip); HELD (attempts = 1 while
-- its confirm may still be in flight, else 0) means "not yet known".
local f = redis.call('HMGET', KEYS[1], 'status', 'attempts', 'payload', 'createdAt')
if not f[1] then
  local counter = ARGV[6]
  local sealable = redis.call('GET', KEYS[4]) == counter and redis.call('HEXISTS', KEYS[5], counter) == 1
    and not redis.call('GET', KEYS[3])
  if sealable then return {'HELD', 1, ''} end
  return {'', 0, ''}
end
if f[1] == 'COMPLETED' or f[1] == 'FAILED' then return {f[1], tonumber(f[2]), ''} end
if f[1] == 'HELD' then
  if ARGV[3] ~= '1' then
    local young = tonumber(ARGV[2]) - tonumber(f[4] or 0) < tonumber(ARGV[4])
    return {'HELD', (young or redis.call('EXISTS', KEYS[2]) == 1) and 1 or 0, ''}
  end
  redis.call('PERSIST', KEYS[1])
  redis.call('SET', KEYS[3], redis.call('HGET', KEYS[1], 'counter'), 'PX', ARGV[5])
end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'status', 'RUNNING')
redis.call('HSETNX', KEYS[1], 'startedAt', ARGV[2])
return {'RUNNING', attempts, f[3]}
