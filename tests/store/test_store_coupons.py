"""Coupon transitions: validate, reserve, redeem, cancel, activate, issue, generate, expiry."""
import json

import pytest
import redis

from dre.errors import DREError
from dre.store import keys, sync_keys
from dre.store.records import Redemption

NOW = 1_800_000_000_000
MIN = 60_000


@pytest.fixture
async def codes(store, tenant):
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="WEL", code_length=10,
                                 promotion_ids=["P5"], valid_to_ms=NOW + 60 * MIN)
    return await store.coupons.generate(tenant, "W", 3, now=NOW)


async def test_generate_makes_unique_active_codes_of_the_type(store, tenant, codes):
    assert len(set(codes)) == 3
    assert all(c.startswith("WEL") and len(c) == 10 for c in codes)
    c = await store.coupons.get(tenant, codes[0])
    assert (c["status"], c["typeId"], c["kind"]) == ("ACTIVE", "W", "INDIVIDUAL")


async def test_generate_redraws_codes_that_collide(store, tenant, monkeypatch):
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="X")
    draws = iter(["XTAKEN01", "XTAKEN01", "XFRESH02"])
    from dre.store import codes as codes_mod

    monkeypatch.setattr(codes_mod, "new_code", lambda prefix, length: next(draws))
    first = await store.coupons.generate(tenant, "W", 1)
    second = await store.coupons.generate(tenant, "W", 1)
    assert (first, second) == (["XTAKEN01"], ["XFRESH02"])


class _Drawn(Exception):
    """The draws a test scripted ran out: the call stops before its next script call."""


def _scripted_draws(monkeypatch, *drawn: str) -> None:
    from dre.store import codes as codes_mod

    it = iter(drawn)

    def draw(prefix, length):
        try:
            return next(it)
        except StopIteration:
            raise _Drawn from None

    monkeypatch.setattr(codes_mod, "new_code", draw)


def _create(store, tenant, how):
    """Two new codes of type W by one of the three ways codes come to be (create_codes in _common.lua)."""
    if how == "generate":
        return store.coupons.generate(tenant, "W", 2, now=NOW)
    if how == "issue":
        return store.coupons.issue(tenant, "W", ["C1", "C2"], now=NOW)
    return store.coupons.grant(tenant, "W", "C1", 2, keys.job(tenant, "T1/1"), "grant:P1:0", now=NOW)


@pytest.mark.parametrize("how", ["generate", "issue", "grant"])
async def test_a_batch_with_a_taken_code_creates_none_of_its_codes(store, tenant, monkeypatch, how):
    """Codes are created all or none: a batch that draws one code that exists writes none of
    the others, nor their owners' indexes, the grant's record or the change log; then draws again."""
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="X")
    _scripted_draws(monkeypatch, "XTAKEN01")
    await store.coupons.generate(tenant, "W", 1, now=NOW)
    r = store.core.client
    logged = r.zcard(sync_keys.code_changes(tenant))
    _scripted_draws(monkeypatch, "XNEW0001", "XTAKEN01")  # nothing left to draw the taken one again
    with pytest.raises(_Drawn):
        await _create(store, tenant, how)
    assert not r.exists(keys.coupon(tenant, "XNEW0001"))
    assert not r.exists(keys.customer_coupons(tenant, "C1"))
    assert not r.exists(keys.job(tenant, "T1/1"))
    assert r.zcard(sync_keys.code_changes(tenant)) == logged
    _scripted_draws(monkeypatch, "XNEW0001", "XTAKEN01", "XNEW0002")
    made = await _create(store, tenant, how)
    assert sorted(c if isinstance(c, str) else c.code for c in (made[0] if how == "grant" else made)) == [
        "XNEW0001", "XNEW0002"]
    assert r.zcard(sync_keys.code_changes(tenant)) == logged + 2


@pytest.mark.parametrize("how, status, extra", [("generate", "ACTIVE", set()), ("issue", "CREATED", set()),
                                                ("grant", "ACTIVE", {"activatedAt"})])
async def test_every_way_a_code_comes_to_be_writes_the_same_fields(store, tenant, monkeypatch, how, status, extra):
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="X", promotion_ids=["P5"],
                                 valid_to_ms=NOW + MIN)
    _scripted_draws(monkeypatch, "XNEW0001", "XNEW0002")
    await _create(store, tenant, how)
    c = store.core.client.hgetall(keys.coupon(tenant, "XNEW0001"))
    # no validFrom (the type has none), no owner for a generated code, no uses or limits: every
    # reader defaults what a code leaves out (create_codes in _common.lua)
    owner = set() if how == "generate" else {"customerId"}
    assert set(c) == {"code", "status", "kind", "typeId", "validTo", "promotionIds", "createdAt"} | owner | extra
    assert (c["code"], c["status"], c["kind"], c["typeId"], c["validTo"], c["promotionIds"], c["createdAt"]) == (
        "XNEW0001", status, "INDIVIDUAL", "W", str(NOW + MIN), '["P5"]', str(NOW))
    assert c.get("customerId") == (None if how == "generate" else "C1")


async def test_a_code_with_every_field_as_an_earlier_release_wrote_it_is_used_the_same(store, tenant):
    """Codes created before create_codes left empty fields out carry them all (an empty owner and
    validity bounds, max and maxPerCustomer 1, uses 0): read, reserved and redeemed as a new code."""
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="X")
    store.core.client.hset(keys.coupon(tenant, "XOLD0001"), mapping={
        "code": "XOLD0001", "status": "ACTIVE", "kind": "INDIVIDUAL", "typeId": "W", "customerId": "",
        "validFrom": "", "validTo": "", "max": 1, "maxPerCustomer": 1, "uses": 0, "promotionIds": "[]",
        "createdAt": NOW})
    v = await store.coupons.validate(tenant, "XOLD0001", customer_id="C1", now=NOW)
    assert (v.valid, v.status) == (True, "ACTIVE")
    r = await store.coupons.reserve(tenant, "XOLD0001", "T1", customer_id="C1", now=NOW)
    await store.coupons.redeem(tenant, r.reservation_id, now=NOW + 1)
    v = await store.coupons.validate(tenant, "XOLD0001", customer_id="C2", now=NOW + 2)
    assert (v.valid, v.reason) == (False, "ALREADY_REDEEMED")


async def test_a_code_this_worker_created_or_met_costs_one_request(store, tenant, codes, redis_url):
    """A code's type is immutable: the worker that created the code (or read its type once) does
    not read it again before each call. The code change log local instances' feed reads
    (docs/local-store.md) is written by the reserve script itself, in the same step: no second
    call; a replay changes nothing and logs nothing."""
    from actors.store import open_store
    from dre.store import sync_keys

    log = redis.Redis.from_url(redis_url, decode_responses=True)
    before = store.core.requests
    await store.coupons.reserve(tenant, codes[0], "T1", now=NOW)
    assert store.core.requests - before == 1  # the reserve, its change logged in it
    seq = log.zscore(sync_keys.code_changes(tenant), codes[0])
    assert seq == int(log.get(sync_keys.code_seq(tenant)))  # the last change logged: this reserve
    before = store.core.requests
    assert (await store.coupons.reserve(tenant, codes[0], "T1", now=NOW)).replayed
    assert store.core.requests - before == 1  # a replay: no type read
    assert log.zscore(sync_keys.code_changes(tenant), codes[0]) == seq  # ...and nothing logged
    async with open_store(redis_url) as other:  # another worker: reads the type once
        before = other.core.requests
        await other.coupons.validate(tenant, codes[1], now=NOW)
        await other.coupons.reserve(tenant, codes[1], "T2", now=NOW)
        assert other.core.requests - before == 3
        before = other.core.requests  # a code it never met: the reserve reads its type first...
        assert not (await other.coupons.reserve(tenant, codes[2], "T3", now=NOW)).replayed
        assert other.core.requests - before == 2
        before = other.core.requests  # ...then knows it
        assert (await other.coupons.reserve(tenant, codes[2], "T3", now=NOW)).replayed
        assert other.core.requests - before == 1


async def test_validate(store, tenant, codes):
    v = await store.coupons.validate(tenant, codes[0], now=NOW)
    assert (v.valid, v.status, v.reason, v.coupon_type_id, v.promotion_ids, v.valid_to_ms) == (
        True, "ACTIVE", None, "W", ("P5",), NOW + 60 * MIN)
    unknown = await store.coupons.validate(tenant, "NOPE", now=NOW)
    assert (unknown.valid, unknown.status, unknown.reason) == (False, None, "INVALID")
    late = await store.coupons.validate(tenant, codes[0], now=NOW + 61 * MIN)
    assert (late.valid, late.status, late.reason) == (False, "EXPIRED", "EXPIRED")
    await store.coupons.reserve(tenant, codes[0], "T1", now=NOW)
    other = await store.coupons.validate(tenant, codes[0], transaction_id="T2", now=NOW)
    mine = await store.coupons.validate(tenant, codes[0], transaction_id="T1", now=NOW)
    assert (other.valid, other.reason) == (False, "RESERVED_ELSEWHERE")
    assert mine.valid and mine.held_reservation_id


async def test_reserve_is_idempotent_per_code_and_transaction(store, tenant, codes):
    r1 = await store.coupons.reserve(tenant, codes[0], "T1", now=NOW)
    assert not r1.replayed and r1.expires_at_ms == NOW + 15 * MIN
    r2 = await store.coupons.reserve(tenant, codes[0], "T1", now=NOW + MIN)
    assert r2.replayed and (r2.reservation_id, r2.expires_at_ms) == (r1.reservation_id, r1.expires_at_ms)
    with pytest.raises(DREError) as e:
        await store.coupons.reserve(tenant, codes[0], "T2", now=NOW)
    assert (e.value.status, e.value.code, e.value.details[0].issue) == (409, "COUPON_UNAVAILABLE", "RESERVED_ELSEWHERE")
    with pytest.raises(DREError) as e:
        await store.coupons.reserve(tenant, "NOPE", "T1", now=NOW)
    assert (e.value.status, e.value.code) == (404, "NOT_FOUND")


async def test_redeem_once_then_409(store, tenant, codes):
    r = await store.coupons.reserve(tenant, codes[0], "T1", customer_id="C1", now=NOW)
    red = await store.coupons.redeem(tenant, r.reservation_id, now=NOW)
    assert (red.code, red.transaction_id, red.customer_id) == (codes[0], "T1", "C1")
    assert (await store.coupons.get(tenant, codes[0]))["status"] == "REDEEMED"
    with pytest.raises(DREError) as e:
        await store.coupons.redeem(tenant, r.reservation_id, now=NOW)
    assert (e.value.status, e.value.code) == (409, "ALREADY_REDEEMED")
    with pytest.raises(DREError) as e:
        await store.coupons.redeem(tenant, "Rnope", now=NOW)
    assert (e.value.status, e.value.code) == (404, "NOT_FOUND")
    # a reserve replay after the redemption answers the first reservation
    assert (await store.coupons.reserve(tenant, codes[0], "T1", now=NOW)).reservation_id == r.reservation_id


async def test_cancel_is_idempotent_and_frees_the_code(store, tenant, codes):
    r = await store.coupons.reserve(tenant, codes[0], "T1", now=NOW)
    assert await store.coupons.cancel(tenant, r.reservation_id, now=NOW) == "CANCELLED"
    before = store.core.client.hgetall(keys.coupon(tenant, codes[0]))
    assert await store.coupons.cancel(tenant, r.reservation_id, now=NOW) == "CANCELLED"
    assert store.core.client.hgetall(keys.coupon(tenant, codes[0])) == before
    assert before["status"] == "ACTIVE"
    with pytest.raises(DREError) as e:
        await store.coupons.redeem(tenant, r.reservation_id, now=NOW)
    assert e.value.code == "COUPON_UNAVAILABLE"
    r2 = await store.coupons.reserve(tenant, codes[0], "T2", now=NOW)
    await store.coupons.redeem(tenant, r2.reservation_id, now=NOW)
    with pytest.raises(DREError) as e:
        await store.coupons.cancel(tenant, r2.reservation_id, now=NOW)
    assert e.value.code == "COUPON_UNAVAILABLE"


async def test_expired_reservation_returns_to_active_lazily(store, tenant, codes):
    r = await store.coupons.reserve(tenant, codes[0], "T1", ttl_s=60, now=NOW)
    later = NOW + MIN
    v = await store.coupons.validate(tenant, codes[0], now=later)
    assert (v.valid, v.status) == (True, "ACTIVE")
    assert (await store.coupons.get(tenant, codes[0]))["status"] == "ACTIVE"
    with pytest.raises(DREError) as e:
        await store.coupons.redeem(tenant, r.reservation_id, now=later)
    assert e.value.details[0].issue == "EXPIRED"
    assert await store.coupons.cancel(tenant, r.reservation_id, now=later) == "EXPIRED"
    r2 = await store.coupons.reserve(tenant, codes[0], "T1", now=later)  # same txn: a new one
    assert not r2.replayed and r2.reservation_id != r.reservation_id


async def test_sweeper_releases_expired_reservations(store, tenant, codes):
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER", max_redemptions=1)
    await store.coupons.reserve(tenant, codes[0], "T1", ttl_s=60, now=NOW)
    await store.coupons.reserve(tenant, codes[1], "T1", ttl_s=600, now=NOW)
    await store.coupons.reserve(tenant, "SUMMER", "T1", ttl_s=60, now=NOW)
    assert await store.coupons.sweep_reservations(tenant, now=NOW + MIN) == 2
    assert (await store.coupons.get(tenant, codes[0]))["status"] == "ACTIVE"
    assert (await store.coupons.get(tenant, codes[1]))["status"] == "RESERVED"
    assert store.core.client.zcard(keys.coupon_holds(tenant, "SUMMER")) == 0
    assert store.core.client.zrange(keys.coupon_expiry(tenant), 0, -1) == [codes[1]]


async def test_generic_code_counts_holds_and_uses_against_limits(store, tenant):
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER", max_redemptions=2,
                                 max_redemptions_per_customer=1)
    a = await store.coupons.reserve(tenant, "SUMMER", "T1", customer_id="C1", now=NOW)
    await store.coupons.reserve(tenant, "SUMMER", "T2", customer_id="C2", now=NOW)
    with pytest.raises(DREError) as e:
        await store.coupons.reserve(tenant, "SUMMER", "T3", customer_id="C3", now=NOW)
    assert e.value.details[0].issue == "LIMIT_REACHED"
    await store.coupons.redeem(tenant, a.reservation_id, now=NOW)
    assert (await store.coupons.get(tenant, "SUMMER"))["uses"] == "1"
    v = await store.coupons.validate(tenant, "SUMMER", customer_id="C1", now=NOW)
    assert (v.valid, v.reason) == (False, "LIMIT_REACHED")


async def test_generic_code_owned_by_another_type_is_refused(store, tenant):
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER")
    with pytest.raises(DREError) as e:
        await store.coupon_types.put(tenant, "H", kind="GENERIC", code="SUMMER")
    assert (e.value.status, e.value.code) == (409, "COUPON_CODE_TAKEN")


async def test_issue_and_activate_personal_codes(store, tenant):
    await store.coupon_types.put(tenant, "B", kind="INDIVIDUAL", prefix="BD")
    issued = await store.coupons.issue(tenant, "B", ["C1", "C2"], now=NOW)
    assert [i.customer_id for i in issued] == ["C1", "C2"]
    code = issued[0].code
    v = await store.coupons.validate(tenant, code, customer_id="C1", now=NOW)
    assert (v.status, v.reason) == ("CREATED", "NOT_ACTIVE")
    with pytest.raises(DREError) as e:
        await store.coupons.activate(tenant, code, "C2", now=NOW)
    assert e.value.details[0].issue == "NOT_FOR_CUSTOMER"
    assert await store.coupons.activate(tenant, code, "C1", now=NOW) == "ACTIVE"
    assert await store.coupons.activate(tenant, code, "C1", now=NOW) == "ACTIVE"  # idempotent
    assert (await store.coupons.validate(tenant, code, customer_id="C1", now=NOW)).valid
    v = await store.coupons.validate(tenant, code, customer_id="C2", now=NOW)
    assert v.reason == "NOT_FOR_CUSTOMER"
    with pytest.raises(DREError) as e:
        await store.coupons.issue(tenant, "NOPE", ["C1"])
    assert e.value.status == 404


async def test_reserve_itself_releases_a_lapsed_individual_hold(store, tenant, codes):
    """No sweeper has run: the reserve of another transaction finds the lapsed hold and frees it."""
    await store.coupons.reserve(tenant, codes[0], "T1", now=NOW, ttl_s=60)
    with pytest.raises(DREError) as held:
        await store.coupons.reserve(tenant, codes[0], "T2", now=NOW + MIN - 1)
    assert held.value.details[0].issue == "RESERVED_ELSEWHERE"
    r2 = await store.coupons.reserve(tenant, codes[0], "T2", now=NOW + MIN + 1)
    assert not r2.replayed
    c = await store.coupons.get(tenant, codes[0])
    assert (c["status"], c["reservationId"]) == ("RESERVED", r2.reservation_id)


async def test_reserve_itself_stops_counting_lapsed_generic_holds(store, tenant, redis_url):
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="ONCE", max_redemptions=1)
    await store.coupons.reserve(tenant, "ONCE", "T1", now=NOW, ttl_s=60)
    with pytest.raises(DREError) as full:
        await store.coupons.reserve(tenant, "ONCE", "T2", now=NOW + MIN - 1)
    assert full.value.details[0].issue == "LIMIT_REACHED"
    r2 = await store.coupons.reserve(tenant, "ONCE", "T2", now=NOW + MIN + 1)
    assert not r2.replayed
    assert redis.Redis.from_url(redis_url).zcard(keys.coupon_holds(tenant, "ONCE")) == 1  # T1's hold is gone


async def test_a_code_spelling_another_codes_key_is_just_unknown(store, tenant):
    """Code ``GGG:holds`` once named the holds set of code GGG: WRONGTYPE, answered as a 500."""
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="GGG", max_redemptions=5)
    await store.coupons.reserve(tenant, "GGG", "T1", now=NOW)
    for crafted in ("GGG:holds", "GGG:bytxn", "GGG:uses"):
        check = await store.coupons.validate(tenant, crafted, now=NOW)
        assert (check.valid, check.reason) == (False, "INVALID")
        with pytest.raises(DREError) as unknown:
            await store.coupons.reserve(tenant, crafted, "T2", now=NOW)
        assert unknown.value.status == 404
    assert (await store.coupons.validate(tenant, "GGG", now=NOW)).valid


async def test_a_generic_codes_transaction_entries_are_swept_after_two_days(store, tenant):
    """One field per transaction that used a GENERIC code would grow forever: entries are kept
    48 h past their use (the reservation index's life), then swept a few per write."""
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER")
    hour = 3600 * 1000
    for i in range(240):  # ten days, a transaction an hour
        held = await store.coupons.reserve(tenant, "SUMMER", f"T{i}", now=NOW + i * hour)
        await store.coupons.redeem(tenant, held.reservation_id, now=NOW + i * hour)
    kept = store.core.client.hlen(keys.coupon_by_txn(tenant, "SUMMER"))
    assert 48 <= kept <= 60  # the last two days' transactions (and the sweep's lag), not 240
    again = await store.coupons.reserve(tenant, "SUMMER", "T239", now=NOW + 239 * hour + 1)
    assert again.replayed  # a recent transaction's replay is still known
    assert (await store.coupons.get(tenant, "SUMMER"))["uses"] == "240"


async def test_a_transactions_entry_older_than_two_days_is_gone_before_any_sweep(store, tenant):
    """Entries count as gone 48 h past their use whether or not a sweep removed them: a code with
    a few entries is not swept at all (one HLEN per write instead of a scan)."""
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER")
    held = await store.coupons.reserve(tenant, "SUMMER", "T1", now=NOW)
    await store.coupons.redeem(tenant, held.reservation_id, now=NOW)
    day = 24 * 3600 * 1000
    again = await store.coupons.reserve(tenant, "SUMMER", "T1", now=NOW + day)
    assert again.replayed and again.reservation_id == held.reservation_id  # within two days: a replay
    later = await store.coupons.reserve(tenant, "SUMMER", "T1", now=NOW + 2 * day + 15 * 60 * 1000 + 1)
    assert not later.replayed and later.reservation_id != held.reservation_id  # a new hold
    assert store.core.client.hlen(keys.coupon_by_txn(tenant, "SUMMER")) == 1  # its entry replaced, none swept


async def test_an_individual_code_records_its_reservation_itself_until_it_ends_unused(store, tenant, codes):
    """A reserve of an INDIVIDUAL code writes the code alone (its customer in ``reservedFor``),
    and so does its use: the code keeps the reservation it was redeemed through. The holder's
    entry, packed (``state|expiresAt|rid|customerId``), is written when a reservation ends
    otherwise - here cancelled, and lapsed."""
    held = await store.coupons.reserve(tenant, codes[0], "T1", customer_id="C|1", now=NOW)
    bytxn = keys.coupon_by_txn(tenant, codes[0])
    assert not store.core.client.exists(bytxn)
    fields = await store.coupons.get(tenant, codes[0])
    assert (fields["status"], fields["reservedTxn"], fields["reservedFor"]) == ("RESERVED", "T1", "C|1")
    assert (await store.coupons.reserve(tenant, codes[0], "T1", customer_id="C|1", now=NOW + 1)).replayed
    assert await store.coupons.cancel(tenant, held.reservation_id, now=NOW + 2) == "CANCELLED"
    assert store.core.client.hget(bytxn, "T1") == f"CANCELLED|{held.expires_at_ms}|{held.reservation_id}|C|1"
    assert "reservedFor" not in await store.coupons.get(tenant, codes[0])
    assert await store.coupons.cancel(tenant, held.reservation_id, now=NOW + 3) == "CANCELLED"  # still known

    used = await store.coupons.reserve(tenant, codes[1], "T2", customer_id="C2", now=NOW)
    assert await store.coupons.redeem(tenant, used.reservation_id, now=NOW + 1) == Redemption(codes[1], "T2", "C2")
    assert not store.core.client.exists(keys.coupon_by_txn(tenant, codes[1]))
    fields = await store.coupons.get(tenant, codes[1])
    assert (fields["status"], fields["redeemedBy"], fields["reservationId"]) == ("REDEEMED", "T2", used.reservation_id)
    again = await store.coupons.reserve(tenant, codes[1], "T2", customer_id="C2", now=NOW + 2)
    assert again.replayed and again.reservation_id == used.reservation_id
    with pytest.raises(DREError) as twice:
        await store.coupons.redeem(tenant, used.reservation_id, now=NOW + 3)
    assert twice.value.code == "ALREADY_REDEEMED"
    with pytest.raises(DREError) as late:
        await store.coupons.cancel(tenant, used.reservation_id, now=NOW + 3)
    assert late.value.details[0].issue == "REDEEMED"
    other = await store.coupons.reserve(tenant, codes[0], "T2", customer_id="C2", now=NOW + 3)
    assert not other.replayed  # T2's record on codes[1] is codes[1]'s alone

    lapsed = await store.coupons.reserve(tenant, codes[2], "T3", now=NOW)
    later = lapsed.expires_at_ms + 1
    other = await store.coupons.reserve(tenant, codes[2], "T4", now=later)  # T3's reservation ends here
    assert store.core.client.hget(keys.coupon_by_txn(tenant, codes[2]), "T3") == (
        f"RESERVED|{lapsed.expires_at_ms}|{lapsed.reservation_id}|")
    assert await store.coupons.cancel(tenant, lapsed.reservation_id, now=later) == "EXPIRED"
    with pytest.raises(DREError) as e:
        await store.coupons.redeem(tenant, lapsed.reservation_id, now=later)
    assert e.value.details[0].issue == "EXPIRED"
    assert await store.coupons.redeem(tenant, other.reservation_id, now=later) == Redemption(codes[2], "T4", "")


async def test_reservations_of_the_releases_before_still_count(store, tenant, codes):
    """A reservation made before the code recorded it whole (no ``reservedFor``: its entry in
    ``bytxn``, packed or as the JSON of the release before that) is replayed, redeemed and
    cancelled as it was."""
    def as_before(code: str, txn: str, stored: str) -> None:
        store.core.client.hdel(keys.coupon(tenant, code), "reservedFor")
        store.core.client.hset(keys.coupon_by_txn(tenant, code), txn, stored)

    old = await store.coupons.reserve(tenant, codes[1], "T2", customer_id="C2", now=NOW)
    as_before(codes[1], "T2", json.dumps(
        {"rid": old.reservation_id, "expiresAt": old.expires_at_ms, "state": "RESERVED", "customerId": "C2"}))
    again = await store.coupons.reserve(tenant, codes[1], "T2", now=NOW + 1)
    assert again.replayed and again.reservation_id == old.reservation_id
    assert await store.coupons.redeem(tenant, old.reservation_id, now=NOW + 2) == Redemption(codes[1], "T2", "C2")
    assert store.core.client.hget(keys.coupon_by_txn(tenant, codes[1]), "T2") == (
        f"REDEEMED|{old.expires_at_ms}|{old.reservation_id}|C2")

    third = await store.coupons.reserve(tenant, codes[2], "T3", now=NOW)
    as_before(codes[2], "T3", f"RESERVED|{third.expires_at_ms}|{third.reservation_id}|")
    assert await store.coupons.cancel(tenant, third.reservation_id, now=NOW + 1) == "CANCELLED"
    assert (await store.coupons.get(tenant, codes[2]))["status"] == "ACTIVE"


async def test_the_sweep_drops_old_json_entries_too(store, tenant):
    """A GENERIC code's JSON entries of the release before are swept as the packed ones are."""
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER")
    bytxn = keys.coupon_by_txn(tenant, "SUMMER")
    day = 24 * 3600 * 1000
    store.core.client.hset(bytxn, mapping={f"OLD{i}": json.dumps(
        {"rid": "", "expiresAt": NOW, "state": "REDEEMED", "customerId": ""}) for i in range(30)})
    await store.coupons.reserve(tenant, "SUMMER", "T1", now=NOW + 3 * day)
    await store.coupons.reserve(tenant, "SUMMER", "T2", now=NOW + 3 * day)
    assert store.core.client.hlen(bytxn) < 32  # some of the 30 old ones are gone


async def test_central_feed_sends_a_held_entry_as_json_for_a_store_on_an_older_release(store, tenant, codes):
    """A reserved INDIVIDUAL code goes to local instances with its holder's entry (heldEntry); a
    store may run an older release that reads only JSON entries, so the packed one is sent as JSON."""
    from actors.sync.changes import ChangeFeed

    held = await store.coupons.reserve(tenant, codes[0], "T1", customer_id="C|1", now=NOW)
    sent, _, _ = await ChangeFeed(store.core).codes_after(tenant, 0, 100)
    entry = next(c for c in sent if c["code"] == codes[0])["heldEntry"]
    assert json.loads(entry) == {"rid": held.reservation_id, "expiresAt": held.expires_at_ms,
                                 "state": "RESERVED", "customerId": "C|1"}


async def test_an_individual_codes_replays_across_its_states(store, tenant, codes):
    """A reserve of an ACTIVE INDIVIDUAL code does not read the transaction's entry (no replay is
    possible there): held, expired, cancelled and redeemed, each reserve answers as before."""
    first = await store.coupons.reserve(tenant, codes[0], "T1", now=NOW)
    again = await store.coupons.reserve(tenant, codes[0], "T1", now=NOW + 1)
    assert again.replayed and again.reservation_id == first.reservation_id  # held: a replay
    lapsed = await store.coupons.reserve(tenant, codes[0], "T1", now=NOW + 15 * MIN + 1)
    assert not lapsed.replayed and lapsed.reservation_id != first.reservation_id  # expired: a new hold
    await store.coupons.redeem(tenant, lapsed.reservation_id, now=NOW + 15 * MIN + 2)
    after = await store.coupons.reserve(tenant, codes[0], "T1", now=NOW + 15 * MIN + 3)
    assert after.replayed and after.reservation_id == lapsed.reservation_id  # redeemed: the replay
    with pytest.raises(DREError) as e:
        await store.coupons.reserve(tenant, codes[0], "T2", now=NOW + 15 * MIN + 4)
    assert e.value.details[0].issue == "ALREADY_REDEEMED"

    held = await store.coupons.reserve(tenant, codes[1], "T3", now=NOW)
    assert await store.coupons.cancel(tenant, held.reservation_id, now=NOW + 1) == "CANCELLED"
    anew = await store.coupons.reserve(tenant, codes[1], "T3", now=NOW + 2)
    assert not anew.replayed and anew.reservation_id != held.reservation_id  # cancelled: a new hold
