"""Merged reserves: the reserves of one tenant that wait in the store actor in the same round go to
Redis as ONE call of coupon_reserve.lua's merged form (dre.store.scripts.MERGED, actors/store_core.py
``merge``), each run with its own KEYS and ARGV and answered exactly as it would be alone."""
import pytest
import redis
import trio

import actors.store_core as store_core
from actors.breaker import BreakerState
from actors.redis_server import start_redis_server
from actors.store import open_store
from dre.errors import DREError
from dre.store import keys, sync_keys
from dre.store.records import Reservation
from dre.store.scripts import MERGED, Shape, merged_form
from tests.store.test_store_confirm_batch import all_at_once as run_all_at_once

NOW = 1_800_000_000_000


async def all_at_once(calls):
    """Start every call in the same scheduling round (as the batched confirms' tests); their
    outcomes by index, a DREError as (code, issue)."""

    async def outcome(call):
        try:
            return await call()
        except DREError as e:
            return (e.code, e.details[0].issue if e.details else "")

    return await run_all_at_once([lambda call=call: outcome(call) for call in calls])


@pytest.fixture
def merged_sizes(monkeypatch):
    """The number of reserves in each merged call sent."""
    sizes: list[int] = []
    real = store_core.merge

    def spy(batch):
        wire, members = real(batch)
        sizes.extend(len(idx) for idx in members if batch[idx[0]].batch is not None)
        return wire, members

    monkeypatch.setattr(store_core, "merge", spy)
    return sizes


async def individual_codes(store, tenant, n):
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="W", code_length=10)
    return await store.coupons.generate(tenant, "W", n, now=NOW)


async def test_the_reserves_of_one_round_share_calls_and_each_gets_its_own_reservation(store, tenant, merged_sizes):
    codes = await individual_codes(store, tenant, 40)
    got = await all_at_once([lambda c=c: store.coupons.reserve(tenant, c, f"T-{c}", customer_id="C", now=NOW)
                             for c in codes])
    assert max(merged_sizes) > 1 and store.core.merged >= 20  # most went to Redis with others
    assert len({r.reservation_id for r in got}) == 40 and not any(r.replayed for r in got)
    for code, r in zip(codes, got):
        assert r.code == code
        c = await store.coupons.get(tenant, code)
        assert (c["status"], c["reservationId"], c["reservedTxn"]) == ("RESERVED", r.reservation_id, f"T-{code}")
        assert store.core.client.hgetall(keys.reservation(tenant, r.reservation_id)) == {
            "code": code, "transactionId": f"T-{code}"}
    red = await store.coupons.redeem(tenant, got[7].reservation_id, now=NOW + 1)
    assert (red.code, red.transaction_id) == (codes[7], f"T-{codes[7]}")


async def test_a_refused_reserve_in_a_merged_call_is_its_own_and_the_others_stand(store, tenant, merged_sizes):
    """An unknown code, one code asked by two transactions, a replay of the same transaction, a
    GENERIC code with 2 uses asked by 4: each answered as it would be alone, in the call's order."""
    codes = await individual_codes(store, tenant, 3)
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SHARED", max_redemptions=2)
    await store.coupons.validate(tenant, "SHARED", now=NOW)  # its type known: no read before the reserve
    # a code this worker believes of type W that the store does not have (as after a flush): it
    # goes in the call of W's codes, and is unknown there
    store.coupons._code_types.remember(tenant, "GHOSTCODE", "W")
    calls = [
        lambda: store.coupons.reserve(tenant, "GHOSTCODE", "T1", now=NOW),
        lambda: store.coupons.reserve(tenant, codes[0], "T1", now=NOW),
        lambda: store.coupons.reserve(tenant, codes[0], "T2", now=NOW),  # held by T1 by then
        lambda: store.coupons.reserve(tenant, codes[1], "T3", now=NOW),
        lambda: store.coupons.reserve(tenant, codes[1], "T3", now=NOW),  # the same: a replay
        *[lambda t=t: store.coupons.reserve(tenant, "SHARED", t, now=NOW) for t in ("G1", "G2", "G3", "G4")],
        lambda: store.coupons.reserve(tenant, codes[2], "T4", now=NOW),
    ]
    got = await all_at_once(calls)
    # the test is about what a merged call answers: W's six calls in one, SHARED's four in another
    # (a call's type is one of the values merged calls share: dre.store.scripts.MERGED)
    assert sorted(merged_sizes) == [4, 6], (merged_sizes, got)
    assert got[0] == ("NOT_FOUND", "unknown coupon code")
    # which of two calls of one round runs first is trio's to choose: the outcomes, not who gets which
    won = [g for g in got[1:3] if isinstance(g, Reservation)]
    assert len(won) == 1 and won[0].code == codes[0]
    assert ("COUPON_UNAVAILABLE", "RESERVED_ELSEWHERE") in got[1:3]
    rid = got[3].reservation_id  # the one reservation of (codes[1], T3): made once, then replayed
    assert sorted((g.replayed, g.reservation_id) for g in got[3:5]) == [(False, rid), (True, rid)]
    refused = [g for g in got[5:9] if not isinstance(g, Reservation)]
    assert len(refused) == 2 and set(refused) == {("COUPON_UNAVAILABLE", "LIMIT_REACHED")}
    assert got[9].code == codes[2]
    assert (await store.coupons.get(tenant, codes[0]))["reservedTxn"] == won[0].transaction_id
    assert store.core.client.zcard(keys.coupon_holds(tenant, "SHARED")) == 2


async def test_the_codes_of_two_types_go_in_calls_of_their_own_each_judged_by_its_type(store, tenant, merged_sizes):
    """Merged calls share their type's keys and typeId (dre.store.scripts.MERGED): codes of an
    ACTIVE and of an INACTIVE type, interleaved in one round, go in a call per type, and each code
    is judged by its own."""
    await store.coupon_types.put(tenant, "ON", kind="INDIVIDUAL", prefix="ON", code_length=10)
    await store.coupon_types.put(tenant, "OFF", kind="INDIVIDUAL", prefix="OFF", code_length=10)
    on = await store.coupons.generate(tenant, "ON", 6, now=NOW)
    off = await store.coupons.generate(tenant, "OFF", 6, now=NOW)
    await store.coupon_types.put(tenant, "OFF", kind="INDIVIDUAL", status="INACTIVE", prefix="OFF", code_length=10)
    mixed = [c for pair in zip(on, off) for c in pair]
    got = await all_at_once([lambda c=c: store.coupons.reserve(tenant, c, f"T-{c}", now=NOW) for c in mixed])
    assert merged_sizes == [6, 6]
    assert [g.code for g in got[0::2]] == on
    assert got[1::2] == [("COUPON_UNAVAILABLE", "NOT_ACTIVE")] * 6


async def test_a_merged_call_logs_its_codes_with_the_numbers_they_would_have_had_alone(store, tenant, merged_sizes):
    """The codes a merged call's reserves log go to the code change log at its end, together: each
    code once, the counter advanced by one per reserve, the numbers contiguous after the ones before."""
    codes = await individual_codes(store, tenant, 20)
    client = store.core.client
    base = int(client.get(sync_keys.code_seq(tenant)))  # generate logged the 20 new codes: 1..20
    got = await all_at_once([lambda c=c: store.coupons.reserve(tenant, c, f"T-{c}", now=NOW) for c in codes])
    assert max(merged_sizes) >= 8 and all(isinstance(g, Reservation) for g in got)
    assert int(client.get(sync_keys.code_seq(tenant))) == base + 20
    logged = client.zrange(sync_keys.code_changes(tenant), 0, -1, withscores=True)
    assert sorted(code for code, _ in logged) == sorted(codes)
    assert sorted(int(seq) for _, seq in logged) == list(range(base + 1, base + 21))


async def test_a_large_batch_of_codes_is_logged_whole(store, tenant):
    """append_log (log_codes, and a merged call's log_gathered) numbers and adds every code, one
    ZADD each (one ZADD of them all would pass Lua's unpack its ~8,000-value limit): 5,000
    generated codes are all logged, numbered 1..5000."""
    codes = await individual_codes(store, tenant, 5000)
    logged = store.core.client.zrange(sync_keys.code_changes(tenant), 0, -1, withscores=True)
    assert sorted(code for code, _ in logged) == sorted(codes)
    assert sorted(int(seq) for _, seq in logged) == list(range(1, 5001))
    assert int(store.core.client.get(sync_keys.code_seq(tenant))) == 5000


async def test_the_reserves_of_two_tenants_that_share_a_slot_go_in_calls_of_their_own(redis_url, merged_sizes):
    """Tenants whose hash tags share a cluster slot (t786, t1060: slot 4632): a merged call shares
    its tenant's keys (the expiry index, the code change log), so each tenant's reserves go in calls
    of their own, and each tenant's codes to its own log and counter."""
    async with open_store(redis_url) as store:
        tenants = ("t786", "t1060")
        codes = {t: await individual_codes(store, t, 8) for t in tenants}
        got = await all_at_once([lambda t=t, c=c: store.coupons.reserve(t, c, f"T-{c}", now=NOW)
                                 for c_pairs in zip(codes["t786"], codes["t1060"])
                                 for t, c in zip(tenants, c_pairs)])
        assert merged_sizes == [8, 8] and all(isinstance(g, Reservation) for g in got)
        for t in tenants:
            logged = store.core.client.zrange(sync_keys.code_changes(t), 0, -1, withscores=True)
            assert sorted(code for code, _ in logged) == sorted(codes[t])
            assert sorted(int(seq) for _, seq in logged) == list(range(9, 17))  # after the 8 generated
            assert int(store.core.client.get(sync_keys.code_seq(t))) == 16
            assert store.core.client.zcard(keys.coupon_expiry(t)) == 8


async def test_each_reserve_of_a_merged_call_runs_with_its_own_keys(store, tenant, merged_sizes):
    """A local instance queues for central the reserves it answers itself (three more keys and two
    more arguments: not the merged form's shape, so each runs alone, in the plain form): in the
    same round as reserves that queue nothing, merged, only those are queued."""
    codes = await individual_codes(store, tenant, 12)
    queued = {c for i, c in enumerate(codes) if i % 3 == 1}
    got = await all_at_once([lambda c=c: store.coupons.reserve(tenant, c, f"T-{c}", now=NOW, queue=c in queued)
                             for c in codes])
    assert merged_sizes == [8] and store.core.merged == 7
    ids = store.core.client.lrange(sync_keys.coupon_outbox(tenant), 0, -1)
    assert sorted(ids) == sorted(f"reserve/{r.reservation_id}" for r in got if r.code in queued)


async def test_merged_reserves_answered_noscript_run_once_after_the_reload(store, tenant, merged_sizes):
    """Scripts flushed (a restarted or flushed Redis): the merged calls that got NOSCRIPT ran none
    of their reserves; they run again after the reload, each reserve once."""
    codes = await individual_codes(store, tenant, 30)
    store.core.client.script_flush()
    got = await all_at_once([lambda c=c: store.coupons.reserve(tenant, c, f"T-{c}", now=NOW) for c in codes])
    assert max(merged_sizes) > 1 and store.core.script_loads >= 1
    assert not any(r.replayed for r in got) and [r.code for r in got] == codes
    assert store.core.client.zcard(keys.coupon_expiry(tenant)) == 30


async def test_out_of_memory_refuses_every_reserve_of_a_merged_call_and_writes_nothing(tmp_path, merged_sizes):
    server = start_redis_server(tmp_path, persist=False)
    raw = redis.Redis.from_url(server.url, decode_responses=True)
    try:
        async with open_store(server.url) as store:
            codes = await individual_codes(store, "acme", 10)
            raw.config_set("maxmemory-policy", "noeviction")
            raw.config_set("maxmemory", 1)  # below what is used: every first write is refused
            try:
                got = await all_at_once([lambda c=c: store.coupons.reserve("acme", c, f"T-{c}", now=NOW)
                                         for c in codes])
            finally:
                raw.config_set("maxmemory", 0)
            assert max(merged_sizes) >= 8
            assert {g[0] for g in got} == {"STORE_UNAVAILABLE"}
            assert "OOM" in (store.breaker.last_error or "")
            assert {raw.hget(keys.coupon("acme", c), "status") for c in codes} == {"ACTIVE"}
            assert raw.keys("*resv*") == [] and raw.zcard(keys.coupon_expiry("acme")) == 0
            with trio.fail_after(15):  # it heals: the same reserve succeeds once the breaker lets it
                while True:
                    try:
                        await store.coupons.reserve("acme", codes[0], f"T-{codes[0]}", now=NOW)
                        break
                    except DREError as e:
                        assert e.status == 503
                        await trio.sleep(0.2)
            assert store.breaker.state is BreakerState.CLOSED
            assert raw.hget(keys.coupon("acme", codes[0]), "status") == "RESERVED"
    finally:
        server.stop()


def test_the_merged_form_answers_each_call_its_own_reply_or_error(redis_url):
    """The wrapper itself (dre.store.scripts.merged_form) around a body that echoes its KEYS and
    ARGV or fails: each call sees the shared values and its own at their places, exactly its
    Shape's count of each, and gets its own reply: a reply, an error reply, a Lua error; Redis 7's
    'ERR ' before an error code of ours (it files a code without a space under ERR) is taken off."""
    body = """if ARGV[2] == 'fail' then return redis.error_reply('NOT_FOUND\\t' .. KEYS[2] .. '\\tunknown') end
if ARGV[2] == 'err7' then return redis.error_reply('ERR NOT_FOUND\\t' .. KEYS[2] .. '\\tunknown') end
if ARGV[2] == 'raise' then error('a bug') end
return {#KEYS, #ARGV, table.concat(KEYS, ','), table.concat(ARGV, ',')}"""
    shape = Shape(keys=4, args=3, shared_keys=(1, 3, 4), shared_args=(1, 3))
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    own = [("a", "ok"), ("b", "fail"), ("c", "ok"), ("d", "err7"), ("e", "raise"), ("f", "ok")]
    flat = client.eval(merged_form(body, shape), 3 + len(own), "S1", "L1", "L2", *(k for k, _ in own),
                       len(own), "s1", "s3", *(a for _, a in own))
    out = []  # flat: each call's count of items, then its items
    while flat:
        out.append(flat[1:1 + flat[0]])
        flat = flat[1 + flat[0]:]
    assert out[0] == [4, 3, "S1,a,L1,L2", "s1,ok,s3"] and out[2] == [4, 3, "S1,c,L1,L2", "s1,ok,s3"]
    assert out[5] == [4, 3, "S1,f,L1,L2", "s1,ok,s3"]
    assert out[1] == ["ERROR", "NOT_FOUND\tb\tunknown"] and out[3] == ["ERROR", "NOT_FOUND\td\tunknown"]
    assert out[4][0] == "ERROR" and "a bug" in out[4][1]


def test_a_shape_shares_the_code_change_log():
    """A merged call logs its calls' codes at its end, to the log of its last two keys
    (log_gathered in _common.lua): a Shape that does not share them is refused."""
    with pytest.raises(ValueError, match="change log"):
        Shape(keys=4, args=2, shared_keys=(1, 2, 3), shared_args=(1, 2))
    assert MERGED["coupon_reserve"].own_keys == (1, 2, 3, 4, 5, 9)


def test_a_merged_reply_is_read_back_per_call_and_a_malformed_one_is_refused():
    """merged_items reads a merged form's flat reply (each call's count of items, then its items)
    back into one item per call; a reply whose counts do not cover it exactly is no merged reply
    (its calls then get it as it is, as for an error)."""
    assert store_core.merged_items([3, "R1", 5, 0, 2, "ERROR", "NOT_FOUND\tc\tunknown"], 2, flat=True) == [
        ["R1", 5, 0], ["ERROR", "NOT_FOUND\tc\tunknown"]]
    for malformed in ([3, "R1", 5, 0], [3, "R1", 5, 0, 2, "ERROR"], [3, "R1", 5, 0, 0, 7], ["R1", 5, 0, "R2", 6, 0]):
        assert store_core.merged_items(malformed, 2, flat=True) is None
