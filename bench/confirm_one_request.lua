-- bench/confirm_one_request.lua: NOT a store script. What a confirm would cost Redis if it were ONE
-- request on a single node (bench/confirm_bound.py): the judgements and writes of txn_seal.lua,
-- confirm.lua and txn_settle.lua for the bench's shape (one budget, no coupon, no linked return),
-- without the seal and the job's HELD stage, which only the three-step protocol needs.
-- Batched frames, as confirm.lua (ARGV[1] = n; per call: #keys, #args, args).
local function num(v, d) if v == false or v == nil then return d end return tonumber(v) end
local function one(K, A)
  -- K: counter, iterations, done, job, queue bucket, confirmed marker, budget, customers, remaining, exhausted
  -- A: txn, counter, customer, now, ttl, answer, job id, job payload, pid, amount, rlim, alim, plim, done ttl, queue at
  local txn, counter, customer = A[1], tonumber(A[2]), A[3]
  local copy = redis.call('HMGET', K[2], 'answerCounter', 'answer')
  if copy[1] then
    if tonumber(copy[1]) == counter then return {'REPLAYED', copy[2]} end
    return {'ALREADY_CONFIRMED', txn, copy[1]}
  end
  local done = redis.call('GET', K[3])
  if done then return {'ALREADY_CONFIRMED', txn, done} end
  local latest = tonumber(redis.call('GET', K[1]) or '0')
  if counter > latest or counter < 1 then return {'NEVER_ISSUED', txn} end
  if counter < latest then return {'STALE_ITERATION', txn, tostring(latest)} end
  if redis.call('HEXISTS', K[2], counter) == 0 then return {'EXPIRED', txn} end
  local marker = redis.call('GET', K[6])  -- "<counter>:<confirmedAt>:<answer>", as confirm.lua writes it
  if marker then
    local was, first = string.match(marker, '^(%d+):%d+:(.*)$')
    if tonumber(was) == counter then return {'REPLAYED', first} end
    return {'ALREADY_CONFIRMED', txn, was}
  end
  local amount, rlim, alim, plim = tonumber(A[10]), tonumber(A[11]), tonumber(A[12]), tonumber(A[13])
  local b = redis.call('HMGET', K[7], 'amount_consumed', 'redemptions_consumed', 'amount_limit',
                       'redemption_limit', 'per_customer_limit')
  local ac, rc = num(b[1], 0), num(b[2], 0)
  local same = num(b[3], nil) == alim and num(b[4], nil) == rlim and num(b[5], nil) == plim
  if alim >= 0 and ac + amount > alim then return {'BUDGET_EXHAUSTED', A[9], 'amount'} end
  if rlim >= 0 and rc + 1 > rlim then return {'BUDGET_EXHAUSTED', A[9], 'redemptions'} end
  if plim >= 0 and customer ~= '' then
    if num(redis.call('HGET', K[8], customer), 0) + 1 > plim then return {'BUDGET_EXHAUSTED', A[9], 'perCustomer'} end
  end
  ac, rc = ac + amount, rc + 1
  if same then
    redis.call('HSET', K[7], 'amount_consumed', ac, 'redemptions_consumed', rc)
  else
    redis.call('HSET', K[7], 'amount_consumed', ac, 'redemptions_consumed', rc, 'amount_limit', alim,
               'redemption_limit', rlim, 'per_customer_limit', plim)
  end
  if customer ~= '' then redis.call('HINCRBY', K[8], customer, 1) end
  local left = {}
  if alim >= 0 then redis.call('HSET', K[9], A[9], alim - ac); left[A[9]] = alim - ac end
  if (alim >= 0 and ac >= alim) or (rlim >= 0 and rc >= rlim) then redis.call('SADD', K[10], A[9]) end
  local now, ttl = A[4], A[5]
  redis.call('SET', K[6], counter .. ':' .. now .. ':' .. A[6], 'PX', ttl)
  redis.call('HSET', K[4], 'id', A[7], 'status', 'PENDING', 'attempts', 0, 'transactionId', txn,
             'counter', counter, 'payload', A[8], 'createdAt', now)
  redis.call('ZADD', K[5], 'NX', A[15], A[7])
  redis.call('HSET', K[2], 'answerCounter', counter, 'answer', A[6])
  redis.call('SET', K[3], counter, 'PX', A[14])
  redis.call('PEXPIRE', K[1], ttl)
  redis.call('PEXPIRE', K[2], ttl)
  return {'CONFIRMED', A[6], next(left) and cjson.encode(left) or '{}'}
end
local out, ko, ao = {}, 0, 1
for i = 1, tonumber(ARGV[1]) do
  local nk, na = tonumber(ARGV[ao + 1]), tonumber(ARGV[ao + 2])
  local K, A = {unpack(KEYS, ko + 1, ko + nk)}, {unpack(ARGV, ao + 3, ao + 2 + na)}
  local ok, reply = pcall(one, K, A)
  if not ok then reply = {'ERROR', tostring(reply)} end
  out[i] = reply
  ko, ao = ko + nk, ao + 2 + na
end
return out
