-- articles_upsert.lua: upsert articles by articleNumber into the tenant's article master.
--
-- KEYS[1] articles hash
-- ARGV[1], ARGV[2]: articleNumber and article JSON of the first article; ARGV[2i-1], ARGV[2i]
-- those of article i (i = 1..n)
--
-- Returns a string of n characters: "1" where article i was created, "0" where it replaced one
-- (a number given twice: created, then replaced). One string rather than n integers keeps the
-- reply of a 5,000-article chunk small.
local out = {}
for i = 1, #ARGV, 2 do
  out[#out + 1] = redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 and '1' or '0'
end
return table.concat(out)
