-- points_claim.lua: claim a loyalty event's key (member + checkNumber + businessDate) for one
-- body, before any of its effects (native discount redemptions, points). The first body to claim
-- a key owns it for as long as the booking is kept: the same body again goes on (its effects
-- are idempotent and its booking replays), another body is refused and redeems nothing.
--
-- KEYS[1] event marker of this (member, eventKey)
-- ARGV[1] fingerprint of the event's body (hex, never empty)   ARGV[2] marker ttl (ms; 0 = kept)
--
-- The marker is "claim:<fingerprint>" until points_book.lua writes
-- "<earned>:<total>:<fingerprint>" (or "<earned>:<total>", a booking made before fingerprints,
-- which any body replays).
--
-- Returns 'NEW' (claimed now), 'SAME' (claimed or booked by this body, or a booking without a
-- fingerprint) or 'OTHER' (claimed or booked by another body).
local marker = redis.call('GET', KEYS[1])
if not marker then
  local ttl = tonumber(ARGV[2])
  if ttl > 0 then
    redis.call('SET', KEYS[1], 'claim:' .. ARGV[1], 'PX', ttl)
  else
    redis.call('SET', KEYS[1], 'claim:' .. ARGV[1])
  end
  return 'NEW'
end
local owner = string.match(marker, '^claim:(%x+)$') or string.match(marker, '^%-?%d+:%-?%d+:(%x+)$')
if owner == nil or owner == ARGV[1] then
  return 'SAME'
end
return 'OTHER'
