"""What the commit (confirm.lua, the tenant's slot) does for budget remainders and linked returns,
through the three-step confirm: a sale's record kept, a return's counters checked and counted in
the return's own commit, a refused return changing nothing and letting go of its seal; and a
request with an Idempotency-Key (journaled scripts) confirming once. Run on one node here and on
the 3-master cluster by tests/store/test_cluster_acceptance.py."""
import orjson
import pytest

from actors import operation
from dre.errors import DREError
from dre.store.records import BudgetUse

FIELD = orjson.dumps(["q", "1"]).decode()  # a sale line's returned-units counter


async def confirm(store, tenant, txn, counter=1, promotions=(), sale_record="", returns=None):
    return await store.transactions.confirm(
        tenant, txn, counter, customer_id="C1", promotions=list(promotions), coupons=[],
        answer=orjson.dumps({"t": txn}).decode(), job_payload="{}", sale_record=sale_record, returns=returns)


async def test_a_sale_keeps_its_record_and_remainder_and_its_returns_count_against_it(store, tenant):
    await store.transactions.next_counter(tenant, "S1", "{}")
    sold = await confirm(store, tenant, "S1", promotions=[BudgetUse("P1", 300, amount_limit_cents=1000)],
                         sale_record='{"lines": [1]}')
    assert sold.remaining == {"P1": 700} and not sold.replayed
    assert await store.budgets.remaining(tenant) == {"P1": 700}
    sale = await store.transactions.sale(tenant, "S1")
    assert sale is not None and sale.record == {"lines": [1]} and dict(sale.used) == {}

    await store.transactions.next_counter(tenant, "R1", "{}")
    await confirm(store, tenant, "R1", returns={"S1": [(FIELD, 2, 3)]})
    assert dict((await store.transactions.sale(tenant, "S1")).used) == {FIELD: 2}

    await store.transactions.next_counter(tenant, "R2", "{}")
    with pytest.raises(DREError) as refused:
        await confirm(store, tenant, "R2", returns={"S1": [(FIELD, 2, 3)]})  # 2 + 2 > 3 units sold
    assert refused.value.code == "RETURN_EXCEEDS_SALE"
    assert dict((await store.transactions.sale(tenant, "S1")).used) == {FIELD: 2}  # nothing counted
    assert await store.transactions.confirmed(tenant, "R2") is None
    # the refusal let go of the seal: the lane evaluates again at once, and that confirm goes through
    assert await store.transactions.next_counter(tenant, "R2", "{}") == 2
    await confirm(store, tenant, "R2", 2, returns={"S1": [(FIELD, 1, 3)]})
    assert dict((await store.transactions.sale(tenant, "S1")).used) == {FIELD: 3}


async def test_a_return_of_a_sale_not_kept_is_refused(store, tenant):
    await store.transactions.next_counter(tenant, "R1", "{}")
    with pytest.raises(DREError) as refused:
        await confirm(store, tenant, "R1", returns={"NOPE": [(FIELD, 1, 1)]})
    assert refused.value.code == "RETURN_EXCEEDS_SALE"


async def test_a_journaled_confirm_retried_meets_its_first_replies_and_consumes_once(store, tenant):
    """Each of the three scripts (two slots) is journaled in its own slot; the retry of the
    request (same key and body) gets the first answer, the budget is consumed once."""
    await store.transactions.next_counter(tenant, "T1", "{}")
    use = BudgetUse("P1", 100, amount_limit_cents=1000)
    results = []
    for _ in range(2):
        _, token = operation.begin(tenant, "/pos/confirm", "K1", "body")
        try:
            results.append(await confirm(store, tenant, "T1", promotions=[use], sale_record='{"lines": []}'))
        finally:
            operation.end(token)
    assert results[0] == results[1] and not results[0].replayed
    assert (await store.budgets.get(tenant, "P1")).amount_consumed_cents == 100
    # without the journal, a confirm of the same iteration is the ordinary replay
    assert (await confirm(store, tenant, "T1", promotions=[use])).replayed
