"""confirm.lua's packed form (``commit_unsealed_batch``: the budgets' and codes' keys and limits once
per call, then per transaction only its uses): the same judge as a lone confirm, so the same
verdicts, in order, and the same budgets, remainders, exhausted set and code uses after."""
import random

import pytest

from dre.store import keys
from dre.store.records import NO_LIMIT, BudgetUse, CouponClaim


async def setup(store, tenant):
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="GEN", max_redemptions=7, promotion_ids=["PC"])
    await store.coupon_types.put(tenant, "H", kind="GENERIC", code="HOT", promotion_ids=["PC"])


def plans(rng: random.Random) -> list[tuple]:
    """80 confirms over an amount budget (20.00), a redemption budget (25), an unlimited one and two
    codes (one limited to 7 uses): some fit, some are refused for each reason."""
    out = []
    for i in range(80):
        promos = []
        if rng.random() < 0.6:
            promos.append(BudgetUse("PA", rng.randint(1, 150), NO_LIMIT, 2_000, NO_LIMIT))
        if rng.random() < 0.5:
            promos.append(BudgetUse("PR", rng.randint(0, 90), 25, NO_LIMIT, NO_LIMIT))
        if rng.random() < 0.3:
            promos.append(BudgetUse("PU", rng.randint(1, 500)))
        rng.shuffle(promos)
        claims = [CouponClaim(c) for c in ("GEN", "HOT") if rng.random() < 0.25]
        out.append((f"T{i}", promos, claims))
    return out


async def state(store, tenant):
    budgets = {}
    for pid in ("PA", "PR", "PU"):
        b = await store.budgets.get(tenant, pid)
        budgets[pid] = (b.amount_consumed_cents, b.redemptions_consumed) if b else None
    remaining = store.core.client.hgetall(keys.budget_remaining(tenant))
    exhausted = store.core.client.smembers(keys.exhausted_budgets(tenant))
    uses = {c: (await store.coupons.get(tenant, c))["uses"] for c in ("GEN", "HOT")}
    return budgets, remaining, exhausted, uses


async def test_packed_batch_gives_the_verdicts_and_state_of_one_at_a_time(store):
    todo = plans(random.Random(3))
    await setup(store, "alone")
    await setup(store, "packed")
    alone = [await store.transactions.commit_unsealed("alone", t, promotions=p, coupons=c, ttl_s=60)
             for t, p, c in todo]
    packed = []
    for i in range(0, len(todo), 32):  # several calls: budgets and codes carry over between them
        packed += await store.transactions.commit_unsealed_batch("packed", todo[i:i + 32], ttl_s=60)
    assert packed == alone
    verdicts = {(r[0], r[2] if r[0] == "BUDGET_EXHAUSTED" else "") for r in packed}
    assert {("CONFIRMED", ""), ("BUDGET_EXHAUSTED", "amount"), ("BUDGET_EXHAUSTED", "redemptions")} <= verdicts
    assert any(r[0] == "COUPON_UNAVAILABLE" for r in packed)
    assert await state(store, "packed") == await state(store, "alone")
    # a packed transaction is confirmed like a lone one: a second confirm of it is a replay
    first = next(i for i, r in enumerate(packed) if r[0] == "CONFIRMED")
    again = await store.transactions.commit_unsealed_batch("packed", [todo[first]], ttl_s=60)
    assert again == [["REPLAYED", "{}"]]


@pytest.mark.parametrize("bad", [
    ("T", [BudgetUse("P", 1), BudgetUse("P", 2)], []),
    ("T", [BudgetUse("P", -1)], []),
    ("T", [], [CouponClaim("GEN", "R1")]),
    ("T", [], [CouponClaim("GEN"), CouponClaim("GEN")]),
])
async def test_packed_batch_refuses_what_a_lone_unsealed_confirm_cannot_be(store, bad):
    with pytest.raises(ValueError):
        await store.transactions.commit_unsealed_batch("t", [bad], ttl_s=60)


@pytest.mark.parametrize("packed", [True, False])
async def test_a_codes_type_is_read_once_and_again_after_the_store_lost_the_code(store, packed):
    # A code's type is remembered (no read before each commit); a store that lost the code and
    # made it again of another type refuses one commit as INVALID, after which the type is re-read.
    async def commit(txn):
        if packed:
            return (await store.transactions.commit_unsealed_batch("ct", [(txn, [], [CouponClaim("HOT")])], ttl_s=60))[0]
        return await store.transactions.commit_unsealed("ct", txn, promotions=[], coupons=[CouponClaim("HOT")], ttl_s=60)

    await setup(store, "ct")
    assert (await commit("C1"))[0] == "CONFIRMED"
    client = store.core.client
    client.delete(*client.keys("dre:{ct}:*"))  # the store loses the tenant
    await store.coupon_types.put("ct", "H2", kind="GENERIC", code="HOT", promotion_ids=["PC"])
    assert (await commit("C2"))[:3] == ["COUPON_UNAVAILABLE", "HOT", "INVALID"]  # the remembered type
    assert (await commit("C3"))[0] == "CONFIRMED"
    assert int((await store.coupons.get("ct", "HOT"))["uses"]) == 1  # C3 only
