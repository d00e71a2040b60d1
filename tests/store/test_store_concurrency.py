"""Under concurrency every limit holds exactly: through one store actor, and through several
independent actors (each its own pool), as two service processes would."""
import contextlib

import pytest
import trio

from actors.store import open_store
from dre.errors import DREError
from dre.store.records import BudgetUse, CouponClaim


@contextlib.asynccontextmanager
async def actors(redis_url, n):
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(open_store(redis_url)) for _ in range(n)]


async def race(stores, n, attempt):
    """Run attempt(store, i) for i < n concurrently, spread over stores; count wins and 409s."""
    wins, conflicts = [], []

    async def one(i):
        try:
            wins.append(await attempt(stores[i % len(stores)], i))
        except DREError as e:
            assert e.status == 409, e
            conflicts.append(e.code)

    async with trio.open_nursery() as nursery:
        for i in range(n):
            nursery.start_soon(one, i)
    return wins, conflicts


async def race_confirms(stores, tenant, n, *, promotions=(), coupons=(), customer=lambda i: f"C{i}"):
    """Issue counter 1 of transactions T0..T<n-1>, then :func:`race` their confirms, each of
    ``promotions`` and ``coupons``, by ``customer(i)``."""
    for i in range(n):
        await stores[0].transactions.next_counter(tenant, f"T{i}", "{}")

    def attempt(s, i):
        return s.transactions.confirm(tenant, f"T{i}", 1, customer_id=customer(i), promotions=list(promotions),
                                      coupons=list(coupons), answer="{}", job_payload="{}")

    return await race(stores, n, attempt)


@pytest.mark.parametrize("n_actors", [1, 3])
async def test_one_individual_code_is_redeemed_once(redis_url, tenant, n_actors):
    async with actors(redis_url, n_actors) as stores:
        await stores[0].coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="W")
        (code,) = await stores[0].coupons.generate(tenant, "W", 1)
        # 500 transactions race to reserve it: one gets it
        wins, conflicts = await race(stores, 500, lambda s, i: s.coupons.reserve(tenant, code, f"T{i}"))
        assert len(wins) == 1 and set(conflicts) == {"COUPON_UNAVAILABLE"}
        # 500 concurrent redeems of that reservation: one succeeds
        rid = wins[0].reservation_id
        wins, conflicts = await race(stores, 500, lambda s, i: s.coupons.redeem(tenant, rid))
        assert len(wins) == 1 and set(conflicts) == {"ALREADY_REDEEMED"}


@pytest.mark.parametrize("n_actors", [1, 3])
async def test_one_individual_code_is_claimed_by_one_confirm(redis_url, tenant, n_actors):
    async with actors(redis_url, n_actors) as stores:
        await stores[0].coupon_types.put(tenant, "W", kind="INDIVIDUAL", prefix="W")
        (code,) = await stores[0].coupons.generate(tenant, "W", 1)
        wins, conflicts = await race_confirms(stores, tenant, 500, coupons=[CouponClaim(code)])
        assert len(wins) == 1 and set(conflicts) == {"COUPON_UNAVAILABLE"}


@pytest.mark.parametrize("n_actors", [1, 3])
async def test_generic_code_is_used_exactly_max_redemptions_times(redis_url, tenant, n_actors):
    async with actors(redis_url, n_actors) as stores:
        await stores[0].coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER", max_redemptions=50)
        wins, conflicts = await race_confirms(stores, tenant, 500, coupons=[CouponClaim("SUMMER")])
        assert len(wins) == 50 and len(conflicts) == 450
        assert (await stores[0].coupons.get(tenant, "SUMMER"))["uses"] == "50"
        # and holds count too: with every use gone, 500 reservations race for 0 places
        wins, _ = await race(stores, 500, lambda s, i: s.coupons.reserve(tenant, "SUMMER", f"R{i}"))
        assert wins == []


async def test_generic_reservations_stop_at_max_redemptions(redis_url, tenant):
    async with actors(redis_url, 2) as stores:
        await stores[0].coupon_types.put(tenant, "G", kind="GENERIC", code="SUMMER", max_redemptions=50)
        wins, conflicts = await race(stores, 500, lambda s, i: s.coupons.reserve(tenant, "SUMMER", f"T{i}"))
        assert len(wins) == 50 and set(conflicts) == {"COUPON_UNAVAILABLE"}


@pytest.mark.parametrize("n_actors", [1, 3])
async def test_budget_of_100_takes_exactly_100_confirms_of_1(redis_url, tenant, n_actors):
    async with actors(redis_url, n_actors) as stores:
        use = BudgetUse("P1", 100, amount_limit_cents=10_000)
        wins, conflicts = await race_confirms(stores, tenant, 1000, promotions=[use])
        assert len(wins) == 100 and set(conflicts) == {"BUDGET_EXHAUSTED"}
        b = await stores[0].budgets.get(tenant, "P1")
        assert (b.amount_consumed_cents, b.redemptions_consumed) == (10_000, 100)
        assert await stores[0].budgets.exhausted(tenant) == {"P1"}
        assert await stores[0].jobs.queue_length(tenant) == 100


async def test_counters_are_gap_free_under_concurrency(redis_url, tenant):
    async with actors(redis_url, 3) as stores:
        wins, _ = await race(stores, 300, lambda s, i: s.transactions.next_counter(tenant, "T", "{}"))
        assert sorted(wins) == list(range(1, 301))


@pytest.mark.parametrize("n_actors", [1, 3])
async def test_budget_whose_limit_is_no_multiple_of_the_amount_is_never_overspent(redis_url, tenant, n_actors):
    """100.00 of budget, confirms of 3.00: 33 fit (99.00); the 34th would exceed, so it is refused
    even though the budget is not used up yet (a check of "already exhausted" would let it pass)."""
    async with actors(redis_url, n_actors) as stores:
        use = BudgetUse("P1", 300, amount_limit_cents=10_000)
        wins, conflicts = await race_confirms(stores, tenant, 60, promotions=[use])
        assert len(wins) == 33 and conflicts == ["BUDGET_EXHAUSTED"] * 27
        b = await stores[0].budgets.get(tenant, "P1")
        assert (b.amount_consumed_cents, b.redemptions_consumed) == (9_900, 33)
        assert await stores[0].jobs.queue_length(tenant) == 33


@pytest.mark.parametrize("n_actors", [1, 3])
async def test_per_customer_limit_holds_when_one_customer_races_many_lanes(redis_url, tenant, n_actors):
    async with actors(redis_url, n_actors) as stores:
        use = BudgetUse("P1", 100, per_customer_limit=3)
        wins, conflicts = await race_confirms(stores, tenant, 40, promotions=[use], customer=lambda i: "SAME")
        assert len(wins) == 3 and conflicts == ["BUDGET_EXHAUSTED"] * 37
        b = await stores[0].budgets.get(tenant, "P1")
        assert b.redemptions_consumed == 3
        assert await stores[0].jobs.queue_length(tenant) == 3


@pytest.mark.parametrize("n_actors", [1, 3])
async def test_duplicate_confirms_of_one_iteration_at_once_consume_once(redis_url, tenant, n_actors):
    """Lanes retry: the same iteration confirmed 30 times at the same instant is one sale."""
    async with actors(redis_url, n_actors) as stores:
        await stores[0].transactions.next_counter(tenant, "T", "{}")
        use = BudgetUse("P1", 250, redemption_limit=1_000)

        def attempt(s, i):
            return s.transactions.confirm(tenant, "T", 1, customer_id="C", promotions=[use], coupons=[],
                                          answer=f'{{"first": {i}}}', job_payload="{}")

        wins, conflicts = await race(stores, 30, attempt)
        assert not conflicts and len(wins) == 30
        assert sum(not w.replayed for w in wins) == 1
        assert len({w.answer for w in wins}) == 1  # every replay gets the first answer's bytes
        b = await stores[0].budgets.get(tenant, "P1")
        assert (b.amount_consumed_cents, b.redemptions_consumed) == (250, 1)
        assert await stores[0].jobs.queue_length(tenant) == 1
