-- points_book.lua: book loyalty points for a member once per event (member + checkNumber +
-- businessDate). The member is created on first sight. A replay returns the first answer with
-- replayed = 1 and adds nothing. With a fingerprint (see points_claim.lua), a key claimed or
-- booked by another body is refused (conflict = 1) and nothing is added.
--
-- KEYS[1] member hash   KEYS[2] event marker of this (member, eventKey)
-- ARGV[1] points to add (integer, may be negative)   ARGV[2] now (ms)
-- ARGV[3] marker ttl (ms; 0 = kept for ever)   ARGV[4] fingerprint of the event's body ('' = none)
--
-- Returns {pointsEarned, totalPoints, replayed (0|1), conflict (0|1)}
local fp = ARGV[4] or ''
local first = redis.call('GET', KEYS[2])
if first then
  local claimed = string.match(first, '^claim:(%x+)$')
  if claimed then
    if fp ~= '' and claimed ~= fp then
      return {0, 0, 0, 1}
    end
  else
    local earned, total, owner = string.match(first, '^(-?%d+):(-?%d+):?(%x*)$')
    if fp ~= '' and owner ~= '' and owner ~= fp then
      return {0, 0, 0, 1}
    end
    return {tonumber(earned), tonumber(total), 1, 0}
  end
end
local points = tonumber(ARGV[1])
redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[2])
local total = redis.call('HINCRBY', KEYS[1], 'points', points)
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[2])
local ttl = tonumber(ARGV[3])
-- '%d', not '..': Lua writes a number of 1e14 or more as "1e+14", which the replay cannot read.
local marker = string.format('%d:%d', points, total)
if fp ~= '' then
  marker = marker .. ':' .. fp
end
if ttl > 0 then
  redis.call('SET', KEYS[2], marker, 'PX', ttl)
else
  redis.call('SET', KEYS[2], marker)
end
return {points, total, 0, 0}
