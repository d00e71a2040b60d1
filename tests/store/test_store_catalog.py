"""Master data writes of the admin API: promotions (create, seed), articles, coupon types."""
import pytest

from dre.errors import DREError
from dre.store import keys

NOW = 1_800_000_000_000


async def test_promotion_create_refuses_an_existing_id_and_keeps_the_version(store, tenant):
    assert await store.promotions.create(tenant, "P1", '{"id":"P1"}') == 1
    with pytest.raises(DREError) as e:
        await store.promotions.create(tenant, "P1", '{"id":"P1","name":"other"}')
    assert (e.value.status, e.value.code) == (409, "ALREADY_EXISTS")
    assert await store.promotions.version(tenant) == 1
    assert await store.promotions.get(tenant, "P1") == '{"id":"P1"}'
    assert await store.promotions.get(tenant, "P9") is None


async def test_seed_writes_only_a_never_written_tenant(store, tenant):
    assert await store.promotions.seed(tenant, {"P1": "{1}", "P2": "{2}"}) == 2
    assert await store.promotions.version(tenant) == 1
    assert await store.promotions.seed(tenant, {"P3": "{3}"}) == 0  # a second worker starting
    assert sorted(await store.promotions.all(tenant)) == ["P1", "P2"]
    await store.promotions.delete(tenant, "P1")
    await store.promotions.delete(tenant, "P2")
    assert await store.promotions.seed(tenant, {"P3": "{3}"}) == 0  # emptied on purpose: stays empty
    assert await store.promotions.all(tenant) == {}


async def test_a_large_seed_goes_in_chunks_and_lands_in_one_step(store, tenant, monkeypatch):
    from actors.store_ops import promotions as promotions_ops

    monkeypatch.setattr(promotions_ops, "SEED_CHUNK", 3)  # 10 documents: 4 chunks, then the move
    documents = {f"P{i}": f'{{"i":{i}}}' for i in range(10)}
    assert await store.promotions.seed(tenant, documents) == 10
    assert await store.promotions.all(tenant) == documents and await store.promotions.version(tenant) == 1
    assert await store.core.call(lambda p: p.keys(f"{keys.tenant_prefix(tenant)}:promotions:seed:*")) == []
    assert await store.promotions.seed(tenant, {"P99": "{}"}) == 0  # too late: its staging hash is dropped
    assert await store.core.call(lambda p: p.keys(f"{keys.tenant_prefix(tenant)}:promotions:seed:*")) == []
    assert sorted(await store.promotions.all(tenant)) == sorted(documents)


async def test_a_seed_merges_into_promotions_that_exist_without_the_marker(store, tenant):
    """A store written before the marker existed: the seed adds to what is there (as it did)."""
    await store.core.call(lambda p: p.hset(keys.promotions(tenant), "P0", "{0}"))
    assert await store.promotions.seed(tenant, {"P1": "{1}"}) == 1
    assert await store.promotions.all(tenant) == {"P0": "{0}", "P1": "{1}"}


async def test_articles_upsert_reports_created_and_updated_in_order(store, tenant):
    assert await store.articles.upsert(tenant, [("A1", '{"v":1}'), ("A2", '{"v":1}')]) == [True, True]
    flags = await store.articles.upsert(tenant, [("A1", '{"v":2}'), ("A3", '{"v":1}'), ("A3", '{"v":2}')])
    assert flags == [False, True, False]
    assert await store.articles.get(tenant, ["A1", "A3"]) == ['{"v":2}', '{"v":2}']


async def test_article_groups_of_the_numbers_the_master_has_with_a_group(store, tenant):
    await store.articles.put(tenant, {"A1": '{"articleGroupId":"G1"}', "A2": '{"name":"no group"}'})
    assert await store.articles.groups(tenant, ["A1", "A2", "A9"]) == {"A1": "G1"}
    assert await store.articles.groups(tenant, []) == {}


async def test_coupon_type_writes_bump_the_promotions_version(store, tenant):
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER", promotion_ids=["P1"])
    assert await store.promotions.version(tenant) == 1
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="W")
    assert await store.promotions.version(tenant) == 2
    assert [t["id"] for t in await store.coupon_types.all(tenant)] == ["G", "W"]
    with pytest.raises(DREError) as e:
        await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", create_only=True)
    assert e.value.code == "ALREADY_EXISTS"
    assert await store.promotions.version(tenant) == 2


async def test_deleting_a_generic_type_cancels_its_code(store, tenant):
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER")
    assert await store.coupon_types.delete(tenant, "G", now=NOW) is True
    assert await store.coupon_types.delete(tenant, "G", now=NOW) is False
    assert await store.coupon_types.get(tenant, "G") is None
    assert await store.coupon_types.all(tenant) == []
    assert (await store.coupons.get(tenant, "SUMMER"))["status"] == "CANCELLED"
    assert not (await store.coupons.validate(tenant, "SUMMER", now=NOW)).valid
    assert await store.promotions.version(tenant) == 2


async def test_issued_and_activated_codes_are_indexed_per_customer(store, tenant):
    await store.coupon_types.put(tenant, "B", kind="INDIVIDUAL", prefix="BD")
    issued = await store.coupons.issue(tenant, "B", ["C1", "C2", "C1"], now=NOW)
    await store.coupons.generate(tenant, "B", 1, now=NOW)  # unowned codes are in no index
    mine = sorted(i.code for i in issued if i.customer_id == "C1")
    assert await store.coupons.of_customer(tenant, "C1") == mine
    assert await store.coupons.of_customer(tenant, "C9") == []
    store.core.client.delete(keys.customer_coupons(tenant, "C1"))  # as before the index existed
    await store.coupons.activate(tenant, mine[0], "C1", now=NOW)
    assert await store.coupons.of_customer(tenant, "C1") == mine[:1]
