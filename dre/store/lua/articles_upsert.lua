-- articles_upsert.lua: upsert articles by articleNumber into the tenant's article master, and
-- log each write in the change log that local instances' delta feed pages through.
--
-- KEYS[1] articles hash   KEYS[2] change log zset (articleNumber -> sequence number of its last
-- write)   KEYS[3] the sequence counter
-- ARGV[1], ARGV[2]: articleNumber and article JSON of the first article; ARGV[2i-1], ARGV[2i]
-- those of article i (i = 1..n)
--
-- Returns a string of n characters: "1" where article i was created, "0" where it replaced one
-- (a number given twice: created, then replaced). One string rather than n integers keeps the
-- reply of a 5,000-article chunk small.
local out = {}
local n = #ARGV / 2
local seq = redis.call('INCRBY', KEYS[3], n) - n
for i = 1, #ARGV, 2 do
  out[#out + 1] = redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 and '1' or '0'
  seq = seq + 1
  redis.call('ZADD', KEYS[2], seq, ARGV[i])
end
return table.concat(out)
