"""Coupon state rules in the store scripts: void, INACTIVE types, a type's per-customer limit over
all its codes, personal codes, isStackable, a caller's share of a GENERIC code, and the code's
typeId read before each script."""
import orjson
import pytest

from actors.store_ops.coupons import code_keys
from dre.errors import DREError
from dre.store import keys
from dre.store.records import CouponClaim
from tests.store.test_store_confirm import snapshot

NOW = 1_800_000_000_000
MIN = 60_000


@pytest.fixture
async def codes(store, tenant):
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="WEL", promotion_ids=["P5"],
                                 valid_to_ms=NOW + 60 * MIN)
    return await store.coupons.generate(tenant, "W", 3, now=NOW)


async def refused(call) -> str:
    """The reason (details[0].issue) of the DREError ``call`` raises."""
    with pytest.raises(DREError) as e:
        await call
    return e.value.details[0].issue


async def confirm(store, tenant, txn, codes_, customer="C1"):
    await store.transactions.next_counter(tenant, txn, "{}")
    return await store.transactions.confirm(
        tenant, txn, 1, customer_id=customer, promotions=[], coupons=[CouponClaim(c) for c in codes_],
        answer=orjson.dumps({"t": txn}).decode(), job_payload="{}", now=NOW)


# -- void --------------------------------------------------------------------------------------

async def test_void_cancels_for_good_and_is_idempotent(store, tenant, codes):
    r = await store.coupons.reserve(tenant, codes[0], "T1", now=NOW)
    assert await store.coupons.void(tenant, codes[0], now=NOW + 1) == NOW + 1
    c = await store.coupons.get(tenant, codes[0])
    assert (c["status"], c["cancelledAt"]) == ("CANCELLED", str(NOW + 1)) and "reservationId" not in c
    assert store.core.client.zscore(keys.coupon_expiry(tenant), codes[0]) is None
    assert await store.coupons.void(tenant, codes[0], now=NOW + 5) == NOW + 1  # the first void's time
    v = await store.coupons.validate(tenant, codes[0], transaction_id="T1", now=NOW)
    assert (v.valid, v.status, v.reason) == (False, "CANCELLED", "CANCELLED")
    assert await refused(store.coupons.redeem(tenant, r.reservation_id, now=NOW)) == "CANCELLED"
    assert await refused(store.coupons.reserve(tenant, codes[0], "T2", now=NOW)) == "CANCELLED"
    with pytest.raises(DREError) as e:
        await confirm(store, tenant, "T3", [codes[0]])
    assert (e.value.code, e.value.details[0].issue) == ("COUPON_UNAVAILABLE", "CANCELLED")


async def test_void_refuses_terminal_and_unknown_codes_changing_nothing(store, tenant, codes):
    r = await store.coupons.reserve(tenant, codes[0], "T1", now=NOW)
    await store.coupons.redeem(tenant, r.reservation_id, now=NOW)
    before = snapshot(store.core.client, tenant)
    assert await refused(store.coupons.void(tenant, codes[0], now=NOW)) == "ALREADY_REDEEMED"
    assert await refused(store.coupons.void(tenant, codes[1], now=NOW + 61 * MIN)) == "EXPIRED"
    with pytest.raises(DREError) as e:
        await store.coupons.void(tenant, "NOPE", now=NOW)
    assert e.value.status == 404
    assert snapshot(store.core.client, tenant) == before


async def test_void_of_a_generic_code_drops_its_holds_and_survives_a_type_write(store, tenant):
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER", max_redemptions=10)
    await store.coupons.reserve(tenant, "SUMMER", "T1", caller="lane", now=NOW)
    await store.coupons.void(tenant, "SUMMER", now=NOW)
    client = store.core.client
    assert not client.exists(keys.coupon_holds(tenant, "SUMMER"), keys.coupon_holders(tenant, "SUMMER"))
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER", max_redemptions=20)
    c = await store.coupons.get(tenant, "SUMMER")
    assert (c["status"], c["max"]) == ("CANCELLED", "20")
    await store.coupon_types.delete(tenant, "G")
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER")
    assert (await store.coupons.get(tenant, "SUMMER"))["status"] == "CANCELLED"


async def test_a_generic_code_cancelled_by_deleting_its_type_comes_back_with_the_type(store, tenant):
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER")
    await store.coupon_types.delete(tenant, "G")
    assert (await store.coupons.validate(tenant, "SUMMER", now=NOW)).reason == "CANCELLED"
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER")
    assert (await store.coupons.validate(tenant, "SUMMER", now=NOW)).valid
    await store.coupon_types.delete(tenant, "G")
    await store.coupons.void(tenant, "SUMMER", now=NOW)  # cancelled already: now voided for good
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER")
    assert (await store.coupons.validate(tenant, "SUMMER", now=NOW)).reason == "CANCELLED"


# -- INACTIVE types ----------------------------------------------------------------------------

async def test_an_inactive_type_blocks_its_codes_and_held_reservations(store, tenant, codes):
    r = await store.coupons.reserve(tenant, codes[1], "T1", customer_id="C1", now=NOW)
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="WEL", status="INACTIVE")
    v = await store.coupons.validate(tenant, codes[0], now=NOW)
    assert (v.valid, v.status, v.reason) == (False, "ACTIVE", "NOT_ACTIVE")
    held = await store.coupons.validate(tenant, codes[1], transaction_id="T1", now=NOW)
    assert (held.valid, held.reason) == (False, "NOT_ACTIVE")
    assert await refused(store.coupons.reserve(tenant, codes[0], "T2", now=NOW)) == "NOT_ACTIVE"
    assert await refused(store.coupons.redeem(tenant, r.reservation_id, now=NOW)) == "NOT_ACTIVE"
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="WEL", status="ACTIVE")
    assert (await store.coupons.redeem(tenant, r.reservation_id, now=NOW)).code == codes[1]


async def test_activate_neither_revives_nor_binds_a_generic_code(store, tenant):
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER", status="INACTIVE")
    before = await store.coupons.get(tenant, "SUMMER")
    assert await refused(store.coupons.activate(tenant, "SUMMER", "C1", now=NOW)) == "NOT_ACTIVE"
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER", status="ACTIVE")
    assert await refused(store.coupons.activate(tenant, "SUMMER", "C1", now=NOW)) == "GENERIC"
    after = await store.coupons.get(tenant, "SUMMER")
    assert (before["customerId"], after["customerId"], after["status"]) == ("", "", "ACTIVE")


# -- a type's maxRedemptionsPerCustomer --------------------------------------------------------

async def test_a_types_per_customer_limit_counts_all_its_codes(store, tenant, codes):
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="WEL", max_redemptions_per_customer=1)
    r = await store.coupons.reserve(tenant, codes[0], "T1", customer_id="C1", now=NOW)
    r2 = await store.coupons.reserve(tenant, codes[1], "T2", customer_id="C1", now=NOW)  # before the first use
    await store.coupons.redeem(tenant, r.reservation_id, now=NOW)
    assert store.core.client.hget(keys.coupon_type_uses(tenant, "W"), "C1") == "1"
    assert await refused(store.coupons.redeem(tenant, r2.reservation_id, now=NOW)) == "LIMIT_REACHED"
    assert await refused(store.coupons.reserve(tenant, codes[2], "T3", customer_id="C1", now=NOW)) == "LIMIT_REACHED"
    v = await store.coupons.validate(tenant, codes[2], customer_id="C1", now=NOW)
    assert (v.valid, v.reason) == (False, "LIMIT_REACHED")
    assert (await store.coupons.validate(tenant, codes[2], customer_id="C2", now=NOW)).valid


async def test_confirm_counts_a_types_per_customer_limit_over_its_own_codes_too(store, tenant, codes):
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="WEL", max_redemptions_per_customer=1)
    before = snapshot(store.core.client, tenant)
    with pytest.raises(DREError) as e:
        await confirm(store, tenant, "T1", codes[:2])
    assert (e.value.code, e.value.details[0].path, e.value.details[0].issue) == (
        "COUPON_UNAVAILABLE", codes[1], "LIMIT_REACHED")
    after = snapshot(store.core.client, tenant)
    assert {k: v for k, v in after.items() if ":txn:" not in k} == before  # no coupon state changed
    await confirm(store, tenant, "T3", codes[:1])
    assert store.core.client.hget(keys.coupon_type_uses(tenant, "W"), "C1") == "1"
    with pytest.raises(DREError):
        await confirm(store, tenant, "T4", codes[1:2])


# -- personal codes ----------------------------------------------------------------------------

async def test_a_personal_code_needs_its_customer_everywhere(store, tenant, codes):
    [issued] = await store.coupons.issue(tenant, "W", ["C1"], now=NOW)
    await store.coupons.activate(tenant, issued.code, "C1", now=NOW)
    for customer in (None, "C2"):
        v = await store.coupons.validate(tenant, issued.code, customer_id=customer, now=NOW)
        assert (v.valid, v.reason) == (False, "NOT_FOR_CUSTOMER")
        assert await refused(store.coupons.reserve(tenant, issued.code, "T1", customer_id=customer,
                                                   now=NOW)) == "NOT_FOR_CUSTOMER"
    with pytest.raises(DREError) as e:
        await confirm(store, tenant, "T2", [issued.code], customer=None)
    assert e.value.details[0].issue == "NOT_FOR_CUSTOMER"
    await confirm(store, tenant, "T3", [issued.code], customer="C1")
    assert (await store.coupons.get(tenant, issued.code))["status"] == "REDEEMED"


# -- isStackable -------------------------------------------------------------------------------

async def test_validate_tells_whether_a_code_may_be_combined(store, tenant, codes):
    assert (await store.coupons.validate(tenant, codes[0], now=NOW)).stackable
    await store.coupon_types.put(tenant, "S", kind="GENERIC", code="SOLO", stackable=False)
    assert not (await store.coupons.validate(tenant, "SOLO", now=NOW)).stackable
    # a type written before the field existed: its admin document says it
    store.core.client.hdel(keys.coupon_type(tenant, "S"), "stackable")
    assert not (await store.coupons.validate(tenant, "SOLO", now=NOW)).stackable


# -- a caller's share of a GENERIC code --------------------------------------------------------

async def test_one_caller_holds_at_most_half_of_the_uses_left(store, tenant):
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="G10", max_redemptions=10)
    held = [await store.coupons.reserve(tenant, "G10", f"T{i}", caller="A", ttl_s=60, now=NOW) for i in range(5)]
    assert await refused(store.coupons.reserve(tenant, "G10", "T5", caller="A", now=NOW)) == "TOO_MANY_HOLDS"
    for i in range(5):  # others still find it
        await store.coupons.reserve(tenant, "G10", f"B{i}", caller="B", ttl_s=600, now=NOW)
    assert await refused(store.coupons.reserve(tenant, "G10", "C0", caller="C", now=NOW)) == "LIMIT_REACHED"
    holders = keys.coupon_holders(tenant, "G10")
    assert store.core.client.hget(holders, "n:A") == "5"
    # a use, a cancel and a lapse each give the caller's hold back
    await store.coupons.redeem(tenant, held[0].reservation_id, now=NOW)
    await store.coupons.cancel(tenant, held[1].reservation_id, now=NOW)
    assert store.core.client.hget(holders, "n:A") == "3"
    await store.coupons.validate(tenant, "G10", now=NOW + MIN)  # A's other holds lapse
    assert store.core.client.hget(holders, "n:A") is None
    assert set(store.core.client.hkeys(holders)) == {"n:B"} | {r for r in store.core.client.zrange(
        keys.coupon_holds(tenant, "G10"), 0, -1)}
    # 9 uses left, 5 of them held by B: A may hold 4, which fills the code
    for i in range(4):
        await store.coupons.reserve(tenant, "G10", f"A{i}", caller="A", now=NOW + MIN)
    assert await refused(store.coupons.reserve(tenant, "G10", "A4", caller="A", now=NOW + MIN)) == "LIMIT_REACHED"
    assert store.core.client.hget(holders, "n:A") == "4"


async def test_the_last_use_can_be_held_and_callers_without_a_tag_are_not_capped(store, tenant):
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="ONE", max_redemptions=1)
    assert not (await store.coupons.reserve(tenant, "ONE", "T1", caller="A", now=NOW)).replayed
    await store.coupon_types.put(tenant, "H", kind="GENERIC", code="FOUR", max_redemptions=4)
    for i in range(4):
        await store.coupons.reserve(tenant, "FOUR", f"T{i}", now=NOW)  # internal callers (caller "")
    client = store.core.client
    assert client.zcard(keys.coupon_holds(tenant, "FOUR")) == 4
    assert not client.exists(keys.coupon_holders(tenant, "FOUR"))


# -- the code's type, read before the script ---------------------------------------------------

async def test_a_code_unknown_when_its_type_was_read_is_unknown_to_the_script(store, tenant, codes):
    """A code created between the typeId read and the script: the script answers as of the read."""
    k = [*code_keys(tenant, codes[0], ""), keys.coupon_expiry(tenant)]
    reply = await store.core.call_script(store.core.scripts.coupon_validate, k, [codes[0], NOW, "", "", ""])
    assert reply[1] == "INVALID"
    assert (await store.coupons.validate(tenant, codes[0], now=NOW)).valid


async def test_a_codes_type_is_read_once_and_a_stale_one_is_forgotten(store, tenant, codes):
    await store.coupons.validate(tenant, codes[0], now=NOW)
    before = store.core.requests
    await store.coupons.validate(tenant, codes[0], now=NOW)
    assert store.core.requests - before == 1  # the script only: the type was remembered
    store.core.client.hset(keys.coupon(tenant, codes[0]), "typeId", "OTHER")  # never done: a code's type is fixed
    assert (await store.coupons.validate(tenant, codes[0], now=NOW)).reason == "INVALID"  # as of the old type
    assert (await store.coupons.validate(tenant, codes[0], now=NOW)).coupon_type_id == "OTHER"  # read again
