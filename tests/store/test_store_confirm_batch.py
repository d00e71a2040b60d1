"""Batched commits: the confirms of one tenant waiting in the store actor in the same round go to
Redis as ONE confirm.lua call, each transaction judged and committed on its own, in arrival order,
with exactly the verdicts it would get alone (actors/store_core.py ``merge``, confirm.lua)."""
import random

import pytest
import trio

import actors.store_core as store_core
from dre.errors import DREError
from dre.store import keys
from dre.store.records import BudgetUse, CouponClaim


async def issue(store, tenant, txns):
    for t in txns:
        await store.transactions.next_counter(tenant, t, "{}")


async def confirm(store, tenant, txn, promotions=(), coupons=(), customer="C"):
    """The confirm's outcome as a comparable tuple: its verdict, and what it names."""
    try:
        r = await store.transactions.confirm(tenant, txn, 1, customer_id=customer, promotions=list(promotions),
                                             coupons=list(coupons), answer=f'"{txn}"', job_payload="{}")
        return ("CONFIRMED", r.answer, r.replayed, r.exhausted, tuple(sorted(r.remaining.items())))
    except DREError as e:
        d = e.details[0] if e.details else None
        return (e.code, d.path if d else "", d.issue if d else "")


async def all_at_once(calls):
    """Start every call in the same scheduling round; their results by index."""
    out = {}

    async def one(i, call):
        out[i] = await call()

    async with trio.open_nursery() as nursery:
        for i, call in enumerate(calls):
            nursery.start_soon(one, i, call)
    return [out[i] for i in range(len(calls))]


def commit_frame(req):
    """(transactionId, merged?) of a request that is a confirm's commit (not a judging call), or None."""
    frame = req.batch[3] if req.batch is not None else None  # nk, na, transactionId, counter, ..., answer
    return frame[2] if frame is not None and frame[7] != "" else None


@pytest.fixture
def merged_orders(monkeypatch):
    """Per confirm.lua call that carried commits: their transaction ids, in the order Redis ran them."""
    orders: list[list[str]] = []
    real = store_core.merge

    def spy(batch):
        wire, members = real(batch)
        for idx in members:
            txns = [t for t in (commit_frame(batch[i]) for i in idx) if t is not None]
            if txns:
                orders.append(txns)
        return wire, members

    monkeypatch.setattr(store_core, "merge", spy)
    return orders


async def test_confirms_of_one_round_commit_in_one_call_with_one_verdict_each(store, tenant, merged_orders):
    await issue(store, tenant, [f"T{i}" for i in range(40)])
    use = BudgetUse("P1", 100, amount_limit_cents=2_000)
    calls_before = store.core.client.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)
    results = await all_at_once([lambda i=i: confirm(store, tenant, f"T{i}", [use]) for i in range(40)])
    assert [r[0] for r in results].count("CONFIRMED") == 20
    assert {r for r in results if r[0] != "CONFIRMED"} == {("BUDGET_EXHAUSTED", "P1", "amount")}
    assert store.core.merged >= 20 and max(len(o) for o in merged_orders) > 1  # most commits shared a call
    evalsha = store.core.client.info("commandstats")["cmdstat_evalsha"]["calls"] - calls_before
    assert evalsha < 40 * 3  # seal and settle per transaction; the commits far fewer than 40
    b = await store.budgets.get(tenant, "P1")
    assert (b.amount_consumed_cents, b.redemptions_consumed) == (2_000, 20)


async def test_a_refused_transaction_in_the_middle_of_a_batch_writes_nothing_and_the_others_commit(
        redis_url, merged_orders):
    """A, B, C, D confirm at once, each with a coupon (same round trips: their commits meet in one
    call); B's second budget cannot take it. Rounds on fresh tenants until B ran between others."""
    from actors.store import open_store

    middle = 0
    async with open_store(redis_url, pool_size=1) as store:
        for round_ in range(12):
            tenant = f"t{round_}"
            await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER", max_redemptions=10)
            await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="W")
            (code,) = await store.coupons.generate(tenant, "W", 1)
            await store.coupons.validate(tenant, "SUMMER")  # as an evaluate: both codes' types known
            await issue(store, tenant, ["A", "B", "C", "D"])
            shared = BudgetUse("P1", 100)
            tight = BudgetUse("P2", 500, amount_limit_cents=400)  # B's second budget cannot take it
            summer = CouponClaim("SUMMER")
            del merged_orders[:]
            results = await all_at_once([
                lambda: confirm(store, tenant, "A", [shared], [summer]),
                lambda: confirm(store, tenant, "B", [shared, tight], [CouponClaim(code)], customer="CB"),
                lambda: confirm(store, tenant, "C", [shared], [summer]),
                lambda: confirm(store, tenant, "D", [shared], [CouponClaim(code)]),
            ])
            assert [r[0] for r in results] == ["CONFIRMED", "BUDGET_EXHAUSTED", "CONFIRMED", "CONFIRMED"]
            assert results[1][1:] == ("P2", "amount")
            b1, b2 = await store.budgets.get(tenant, "P1"), await store.budgets.get(tenant, "P2")
            assert (b1.amount_consumed_cents, b1.redemptions_consumed) == (300, 3)  # A, C, D: nothing of B
            assert (b2.amount_consumed_cents, b2.redemptions_consumed) == (0, 0)
            client = store.core.client
            assert not client.hexists(keys.budget_customers(tenant, "P1"), "CB")
            assert (await store.coupons.get(tenant, code))["redeemedBy"] == "D"  # B did not claim the code
            assert (await store.coupons.get(tenant, "SUMMER"))["uses"] == "2"
            assert not client.exists(keys.txn_confirmed(tenant, "B")) and not client.exists(keys.txn_done(tenant, "B"))
            assert await store.transactions.confirmed(tenant, "A") == (1, '"A"')
            (order,) = [o for o in merged_orders if "B" in o]
            middle += 0 < order.index("B") < len(order) - 1
        assert middle >= 1  # at least once B's refusal sat between commits of the same call
    assert store.core.merged >= 12


async def scenario(store, tenant, rng):
    """62 confirms racing for a money budget, a redemption limit, a per-customer limit, a GENERIC
    code of 10 uses and 5 INDIVIDUAL codes, several of them by one customer, two of them retried.
    Returns the plans and the INDIVIDUAL codes (drawn afresh: compared by their place)."""
    await store.coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER", max_redemptions=10)
    await store.coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="W")
    codes = sorted(await store.coupons.generate(tenant, "W", 5))
    await issue(store, tenant, [f"T{i}" for i in range(60)])
    plans = []
    for i in range(60):
        promotions = [BudgetUse("MONEY", rng.choice([100, 300, 700]), amount_limit_cents=20_000)]
        if rng.random() < 0.5:
            promotions.append(BudgetUse("COUNT", 100, redemption_limit=15))
        if rng.random() < 0.3:
            promotions.append(BudgetUse("ONCE", 50, per_customer_limit=2))
        coupons = []
        if rng.random() < 0.3:
            coupons.append(CouponClaim("SUMMER"))
        if rng.random() < 0.2:
            coupons.append(CouponClaim(rng.choice(codes)))
        plans.append((f"T{i}", promotions, coupons, rng.choice(["A", "B", "C", "A"])))
    return plans + [plans[3], plans[17]], codes  # retries of a confirm: replays


async def final_state(store, tenant, codes):
    client = store.core.client
    budgets = {p: client.hgetall(keys.budget(tenant, p)) for p in ("MONEY", "COUNT", "ONCE")}
    customers = {p: client.hgetall(keys.budget_customers(tenant, p)) for p in ("MONEY", "COUNT", "ONCE")}
    summer = await store.coupons.get(tenant, "SUMMER")
    return budgets, customers, summer["uses"], [client.hget(keys.coupon(tenant, c), "redeemedBy") for c in codes]


def by_place(result, codes):
    return tuple(f"W#{codes.index(x)}" if x in codes else x for x in result)


async def test_batched_and_one_at_a_time_give_identical_verdicts_and_state(redis_url, merged_orders):
    """The same 62 confirms: all at once (batched), then one at a time in the order the batches
    ran them, on a twin tenant: the same verdict for each, the same budgets and coupons after."""
    from actors.store import open_store

    async with open_store(redis_url, pool_size=1) as store:  # one connection: the spy sees Redis's order
        plans, codes = await scenario(store, "batched", random.Random(7))
        batched = await all_at_once([lambda p=p: confirm(store, "batched", *p) for p in plans])
        assert store.core.merged > 20 and max(len(o) for o in merged_orders) > 10
        ran = [t for o in merged_orders for t in o]
        assert sorted(ran) == sorted(p[0] for p in plans)  # every commit seen, in Redis's order
        twin, twin_codes = await scenario(store, "alone", random.Random(7))
        pending = list(twin)
        alone: dict[str, list] = {}
        for txn in ran:  # each commit alone, in that order (a retry is the same plan again)
            plan = next(p for p in pending if p[0] == txn)
            pending.remove(plan)
            alone.setdefault(txn, []).append(by_place(await confirm(store, "alone", *plan), twin_codes))
        got: dict[str, list] = {}
        for p, r in zip(plans, batched):
            got.setdefault(p[0], []).append(by_place(r, codes))
        assert {t: sorted(v) for t, v in got.items()} == {t: sorted(v) for t, v in alone.items()}
        assert len({r[0] for r in batched}) >= 3  # confirmed, and refused for budgets and for coupons
        assert await final_state(store, "batched", codes) == await final_state(store, "alone", twin_codes)
