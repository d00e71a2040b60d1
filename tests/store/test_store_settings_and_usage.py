"""store.stores (store_settings_write.lua) and store.budgets.customer_usage (customer_usage.lua) on a
real Redis: settings writes move the promotions version in the same step; a customer's redemptions
as confirm counted them, read in one call."""
from __future__ import annotations

import pytest

from dre.errors import DREError
from dre.store.records import BudgetUse


async def test_settings_writes_bump_the_version_and_delete_of_nothing_does_not(store, tenant):
    v0 = await store.promotions.version(tenant)
    v1, created = await store.stores.put(tenant, "S1", '{"timeZone": "UTC"}')
    assert created and v1 == v0 + 1
    v2, created = await store.stores.put(tenant, "S1", '{"timeZone": "Europe/Berlin"}')
    assert not created and v2 == v1 + 1
    assert await store.stores.get(tenant, "S1") == '{"timeZone": "Europe/Berlin"}'
    assert await store.stores.all(tenant) == {"S1": '{"timeZone": "Europe/Berlin"}'}
    v3 = await store.stores.put_default(tenant, '{"timeZone": "UTC"}')
    assert v3 == v2 + 1 and await store.stores.default(tenant) == '{"timeZone": "UTC"}'
    assert await store.stores.put_default(tenant, None) == v3 + 1 and await store.stores.default(tenant) is None
    assert await store.stores.delete(tenant, "S1") == v3 + 2
    with pytest.raises(DREError) as err:
        await store.stores.delete(tenant, "S1")
    assert err.value.status == 404 and await store.promotions.version(tenant) == v3 + 2
    assert await store.stores.get("globex", "S1") is None  # per tenant


async def test_customer_usage_reads_what_confirm_counted(store, tenant):
    for n, txn in enumerate(("T1", "T2")):
        await store.transactions.next_counter(tenant, txn, "{}")
        await store.transactions.confirm(tenant, txn, 1, customer_id="C1", answer="{}", job_payload="{}", coupons=[],
                                         promotions=[BudgetUse("P1", 100, per_customer_limit=5)]
                                         + ([BudgetUse("P2", 50)] if n else []))
    assert await store.budgets.customer_usage(tenant, "C1", ["P1", "P2", "P3"]) == {"P1": 2, "P2": 1, "P3": 0}
    assert await store.budgets.customer_usage(tenant, "C2", ["P1"]) == {"P1": 0}
    assert await store.budgets.customer_usage(tenant, "C1", []) == {}
