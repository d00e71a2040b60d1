"""What the side-effects job writes through the store: post-purchase grants (once per grant),
audit records (once per id, capped log), and the latest counter confirm reads."""
import orjson
import pytest
import trio

from dre.errors import DREError
from dre.store import keys

NOW = 1_800_000_000_000


async def test_grant_makes_active_owned_codes_once_per_grant(store, tenant):
    await store.coupon_types.put(tenant, "THX", kind="INDIVIDUAL", prefix="TY", valid_to_ms=NOW + 1000)
    marker = keys.job(tenant, "T1/1")
    codes, replayed = await store.coupons.grant(tenant, "THX", "C1", 2, marker, "grant:P9:0", now=NOW)
    assert len(set(codes)) == 2 and not replayed and all(c.startswith("TY") for c in codes)
    for c in codes:
        v = await store.coupons.validate(tenant, c, customer_id="C1", now=NOW)
        assert (v.valid, v.status, v.coupon_type_id) == (True, "ACTIVE", "THX")
        assert (await store.coupons.validate(tenant, c, customer_id="C2", now=NOW)).reason == "NOT_FOR_CUSTOMER"
    again, replayed = await store.coupons.grant(tenant, "THX", "C1", 2, marker, "grant:P9:0", now=NOW)
    assert (again, replayed) == (codes, True)
    other, _ = await store.coupons.grant(tenant, "THX", "C1", 1, marker, "grant:P9:1", now=NOW)
    assert other[0] not in codes
    n_codes = len([k for k in store.core.client.scan_iter(keys.coupon(tenant, "TY*"))])
    assert n_codes == 3  # two grants, three codes: the replay issued none


async def test_grant_of_unknown_or_generic_type_is_refused(store, tenant):
    with pytest.raises(DREError) as e:
        await store.coupons.grant(tenant, "NOPE", "C1", 1, keys.job(tenant, "T/1"), "g")
    assert e.value.status == 404
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER")
    with pytest.raises(DREError) as e:
        await store.coupons.grant(tenant, "G", "C1", 1, keys.job(tenant, "T/1"), "g")
    assert (e.value.status, e.value.code) == (409, "COUPON_UNAVAILABLE")


async def test_audit_append_once_per_id_and_log_is_capped(store, tenant):
    assert await store.audit.append(tenant, "T1/1", '{"a":1}')
    assert not await store.audit.append(tenant, "T1/1", '{"a":2}')  # a re-run keeps the first
    assert orjson.loads(await store.audit.get(tenant, "T1/1")) == {"a": 1}
    for txn in ("T2/1", "T3/1"):
        await trio.sleep(0.002)
        await store.audit.append(tenant, txn, "{}")
    assert await store.audit.recent(tenant) == ["T3/1", "T2/1", "T1/1"]  # newest first over every part
    assert await store.audit.recent(tenant, 2) == ["T3/1", "T2/1"]
    assert 0 < store.core.client.pttl(keys.audit_record(tenant, "T1/1"))
    assert await store.audit.get(tenant, "nope") is None
    # the log is capped per part (the cap shared by the parts): one transaction's ids share a part
    for counter in (2, 3):
        await trio.sleep(0.002)
        await store.audit.append(tenant, f"T1/{counter}", "{}", cap=keys.JOB_BUCKETS)
    assert store.core.client.zrange(keys.audit_log(tenant, "T1/1"), 0, -1) == ["T1/3"]


async def test_latest_counter(store, tenant):
    assert await store.transactions.latest_counter(tenant, "T1") == 0
    await store.transactions.next_counter(tenant, "T1", "{}")
    await store.transactions.next_counter(tenant, "T1", "{}")
    assert await store.transactions.latest_counter(tenant, "T1") == 2
