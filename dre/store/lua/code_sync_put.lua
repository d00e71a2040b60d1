-- code_sync_put.lua: a local instance writes an INDIVIDUAL code as central sent it (sync down),
-- unless the store itself has used it since and central does not know yet.
--
-- KEYS[1] the code's hash
-- ARGV[1], ARGV[2], ...: central's fields and values (status, kind, typeId, ...)
--
-- A code this store REDEEMED or RESERVED (by a local sale not yet accepted by central, e.g. while
-- central was away) keeps its local state while central still says it is usable (CREATED,
-- ACTIVE, RESERVED): written over, it would be honoured a second time here. Once central's state
-- is final (REDEEMED, EXPIRED, CANCELLED) it wins. Returns 1 when written, 0 when kept.
local incoming = {}
for i = 1, #ARGV, 2 do incoming[ARGV[i]] = ARGV[i + 1] end
local mine = redis.call('HGET', KEYS[1], 'status')
local open = {CREATED = true, ACTIVE = true, RESERVED = true}
if (mine == 'REDEEMED' or mine == 'RESERVED') and open[incoming.status or ''] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
