-- code_sync_put.lua: a local instance writes an INDIVIDUAL code as central sent it (sync down),
-- unless the store itself has used it since and central does not know yet.
--
-- KEYS[1] the code's hash   KEYS[2] its reservation entries by transaction
-- ARGV[1] the entry (as central stores it: packed, or JSON of the release before; see _common.lua)
--         of the transaction holding central's reservation of it, or ""
-- ARGV[2], ARGV[3], ...: central's fields and values (status, kind, typeId, ...)
--
-- A code this store REDEEMED or RESERVED (by a local sale or coupon call not yet accepted by
-- central, e.g. while central was away) keeps its local state while central still says it is
-- usable (CREATED, ACTIVE, RESERVED): written over, it would be honoured a second time here. So
-- does a code CANCELLED here (voided while central was away, the void on its way to central:
-- central never makes a CANCELLED INDIVIDUAL code usable again, so an open state there has not
-- heard of it yet). Once central's state is final (REDEEMED, EXPIRED, CANCELLED) it wins. A
-- code central holds RESERVED carries its reservation in its fields (reservedFor: see code_entry
-- in _common.lua): that transaction's confirm at this store uses the reservation as it would at
-- central. From a central of the release before (no reservedFor) it comes with the holding
-- transaction's entry, written here. A reservation this store recorded in the code (held, or
-- redeemed through) that central's final state overwrites keeps its holder's entry. Returns 1
-- when written, 0 when kept.
local held = table.remove(ARGV, 1)
local incoming = {}
for i = 1, #ARGV, 2 do incoming[ARGV[i]] = ARGV[i + 1] end
local f = redis.call('HMGET', KEYS[1], 'status', 'reservationId', 'reservedTxn', 'reservedUntil', 'reservedFor')
local mine = {status = f[1] or nil, reservationId = f[2] or nil, reservedTxn = f[3] or nil,
              reservedUntil = f[4] or nil, reservedFor = f[5] or nil}
local open = {CREATED = true, ACTIVE = true, RESERVED = true}
local used = {REDEEMED = true, RESERVED = true, CANCELLED = true}
if used[mine.status or ''] and open[incoming.status or ''] then return 0 end
local own = code_entry(mine)
if own then put_entry(KEYS[2], mine.reservedTxn, own) end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV))
if held ~= '' and incoming.status == 'RESERVED' and (incoming.reservedTxn or '') ~= ''
    and incoming.reservedFor == nil then
  redis.call('HSET', KEYS[2], incoming.reservedTxn, held)
end
return 1
