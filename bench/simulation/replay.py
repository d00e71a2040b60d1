"""Replay a simulated day: slices priced and judged ahead (bench.simulation.plan) while the confirms
of the slices before them go to Redis through the real confirm script, many at once.

Three tasks share the trio loop: a drawer draws the slices' baskets (in a worker thread) a slice
ahead of the planner; the planner prices (in a worker thread; numpy and the kernels release the
GIL) and judges slice after slice, at most PLANS_AHEAD ahead of the confirmer; the confirmer
sends the judged slices' confirms as confirm.lua calls in its packed form
(store.transactions.commit_unsealed_batch: CONFIRMS_PER_CALL transactions a call, each judged on
its own in order by the same judge as a lone confirm), CALLS_IN_FLIGHT calls per slice at once.
The confirms the forecast accepts go out as soon as their slice is judged, several slices' at
once; those it refuses wait until every accepted one before them has landed
(bench.simulation.ledger says why this makes the verdicts the same whatever order Redis takes
concurrent confirms in). Redis's verdicts are counted; one that differs from the forecast is
counted in ``storeDisagreements``.

A basket's confirm is confirm.lua's alone (no counter, seal or settle script): no evaluate can
race a replayed basket, so a lane's other confirm steps would only add round trips. Baskets
touching no budget and no coupon change no store state: not sent; their discounts count all the
same.

Simplifications (docs/simulation.md): no customers (no per-customer limits); coupons are GENERIC
codes of the scenario's coupon types; a basket consumes of a budget its net discount of that
promotion (returns in the same basket reduce it) when that is positive, and nothing otherwise.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import orjson
import trio

from actors.store import Store
from api.services.budgets import REFRESH_S
from bench.simulation.baskets import BasketBatch
from bench.simulation.plan import Plan, Planner, Priced, Rules, compile_rules
from bench.simulation.scenario import Scenario
from bench.simulation.summary import DaySummary, PromotionTotals
from dre.store.records import NO_LIMIT, BudgetUse, CouponClaim

__all__ = ["Rules", "compile_rules", "replay_day", "setup_coupons"]

CONFIRMS_PER_CALL = 128  # transactions per confirm.lua call (its batch form; ~2-3 ms of Redis a call)
CALLS_IN_FLIGHT = 4  # calls of one slice's confirms under way at once (Redis works while the next is built)
PLANS_AHEAD = 2  # slices priced and judged before their confirms are sent
DRAWS_AHEAD = 1  # slices drawn before the planner takes them (the draw is off its path)
SLICES_IN_FLIGHT = 3  # slices whose confirms are under way at once
SIM_TTL_S = 3600  # the simulation's transactions need not outlive the run


class DayReplay:
    """Owns the per-run state: the planner, the confirms, the day's totals."""

    def __init__(self, scenario: Scenario, rules: Rules, coupon_types: list[dict], store: Store, tenant: str,
                 refresh_s: float = REFRESH_S) -> None:
        self.s = scenario
        self.rules = rules
        self.store = store
        self.tenant = tenant
        self.planner = Planner(scenario, rules, coupon_types, max(1, round(refresh_s * 1000)))
        p = self.planner
        self.budget_ids = [rules.ranked[i].id for i in p.budget_promo] + list(scenario.coupons.codes)
        self.day = DaySummary()
        self._in_flight = 0  # _send calls under way (store_seconds: wall time with confirms in flight)
        self._busy_since = 0.0
        for pr in rules.ranked:
            b = pr.budget
            self.day.promotions[pr.id] = PromotionTotals(pr.id, pr.name, b.amount if b else None,
                                                         b.redemptions if b else None)

    # ---- confirming (I/O; through the store actor) -------------------------------------------

    def _uses_of(self, pr: Priced, rows: np.ndarray) -> list[tuple[list[BudgetUse], list[CouponClaim]]]:
        """The budget uses and coupon claims of the rows ``rows`` (sorted) of ``pr``, as
        ``Priced.uses`` gives them (promotions in rank order, then the code), built from the
        slice's arrays at once rather than row by row."""
        ledger, nb = self.planner.ledger, self.planner.nb
        head = [(self.budget_ids[j], int(ledger.rlim[j]), int(ledger.alim[j])) for j in range(nb)]
        pick = np.zeros(len(pr.idx), dtype=np.bool_)
        pick[rows] = True
        e = np.nonzero((pr.j >= 0) & pick[pr.owner])[0]  # entries come in row order
        new = tuple.__new__  # BudgetUse's own __new__ is a Python function: this is a third of it
        flat = [new(BudgetUse, (pid, cents, rlim, alim, NO_LIMIT))
                for (pid, rlim, alim), cents in zip([head[j] for j in pr.j[e].tolist()], pr.res.amount[e].tolist())]
        ends = np.searchsorted(pr.owner[e], rows, side="right").tolist()
        claims = [[CouponClaim(self.budget_ids[j])] if c else [] for c, j in zip(pr.claim[rows].tolist(),
                                                                                   pr.code_j[rows].tolist())]
        return [(flat[a:b], c) for a, b, c in zip([0, *ends[:-1]], ends, claims)]

    def confirms_of(self, plan: Plan) -> tuple[list, list]:
        """(accepted, refused): (transaction id, budget uses, coupon claims) per confirm to send."""
        accepted, refused = [], []
        prefix = f"{plan.minute}-"
        for k, pr in enumerate(plan.priced):
            rows = plan.accepted[k]
            sends = np.zeros(len(rows), dtype=np.bool_)
            sends[pr.owner[pr.j >= 0]] = True
            sel = np.nonzero(rows & (sends | pr.claim))[0]
            if len(sel):
                ids = [prefix + str(basket) for basket in pr.idx[sel].tolist()]
                accepted += [(txn, uses, claims) for txn, (uses, claims) in zip(ids, self._uses_of(pr, sel))]
        for k, row, attempt, _ in plan.refused:
            pr = plan.priced[k]
            uses = self._uses_of(pr, np.array([row]))[0]
            refused.append((f"{prefix}{int(pr.idx[row])}-r{attempt}", *uses))
        return accepted, refused

    async def _send(self, confirms: list, minute: int, expect_confirmed: bool) -> None:
        """Send ``confirms`` as confirm.lua calls of CONFIRMS_PER_CALL transactions each (judged in
        order within a call), CALLS_IN_FLIGHT calls at once, and count Redis's verdicts."""
        chunks = iter([confirms[i:i + CONFIRMS_PER_CALL] for i in range(0, len(confirms), CONFIRMS_PER_CALL)])
        commit = self.store.transactions.commit_unsealed_batch
        day = self.day
        if self._in_flight == 0:
            self._busy_since = time.perf_counter()
        self._in_flight += 1

        async def worker() -> None:
            for chunk in chunks:
                replies = await commit(self.tenant, chunk, ttl_s=SIM_TTL_S)
                day.confirm_calls += 1
                for (_, _, claims), reply in zip(chunk, replies, strict=True):
                    self._count(reply, len(claims), minute, expect_confirmed)

        try:
            async with trio.open_nursery() as nursery:
                for _ in range(CALLS_IN_FLIGHT):
                    nursery.start_soon(worker)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                day.store_seconds += time.perf_counter() - self._busy_since
        day.confirms += len(confirms)

    def _count(self, reply: list, claims: int, minute: int, expect_confirmed: bool) -> None:
        """One confirm's verdict into the day's totals."""
        day = self.day
        verdict = reply[0]
        if (verdict == "CONFIRMED") != expect_confirmed:
            day.disagreements += 1
        if verdict == "CONFIRMED":
            day.coupon_redemptions += claims
            for pid in reply[3:]:  # slices overlap: the earliest minute that used it up
                t = day.promotions[pid]
                t.exhausted_minute = min(minute, t.exhausted_minute if t.exhausted_minute is not None else minute)
        elif verdict == "BUDGET_EXHAUSTED":
            day.promotions[reply[1]].refused += 1
        elif verdict == "COUPON_UNAVAILABLE":
            day.coupon_refusals += 1
        else:
            raise RuntimeError(f"confirm.lua answered {reply[:3]} to a replayed basket")

    async def confirm_all(self, plans: trio.MemoryReceiveChannel[Plan],
                          on_done: Callable[[], None] | None = None) -> None:
        """Send the judged slices' confirms as they come. The accepted ones of successive slices
        are in flight together (together they fit every budget: any order gives the same
        verdicts); a slice's refused ones go once every accepted one up to it has landed. At most
        SLICES_IN_FLIGHT slices' confirms are under way (the planner waits beyond that)."""
        in_flight: list[trio.Event] = []

        async def send_accepted(confirms: list, minute: int, done: trio.Event) -> None:
            try:
                await self._send(confirms, minute, True)
            finally:
                done.set()
                if on_done:
                    on_done()

        async with trio.open_nursery() as nursery, plans:
            async for plan in plans:
                accepted, refused = self.confirms_of(plan)
                done = trio.Event()
                nursery.start_soon(send_accepted, accepted, plan.minute, done)
                in_flight.append(done)
                if refused:
                    for d in in_flight:
                        await d.wait()
                    await self._send(refused, plan.minute, False)
                while len(in_flight) >= SLICES_IN_FLIGHT or (in_flight and in_flight[0].is_set()):
                    await in_flight.pop(0).wait()

    # ---- accounting ---------------------------------------------------------------------------

    def book(self, plan: Plan) -> None:
        """Add a judged slice's confirmed baskets to the day's totals."""
        day, b = self.day, plan.baskets
        n_p = len(self.rules.ranked)
        spend, used, points = (np.zeros(n_p, dtype=np.int64) for _ in range(3))
        hour = plan.minute // 60
        for k, pr in enumerate(plan.priced):
            rows = plan.accepted[k]
            if not rows.any():
                continue
            r = pr.res
            mine = rows[pr.owner]
            e = mine & (r.amount > 0)  # a return's discount is no spend
            spend += np.bincount(r.promo[e], weights=r.amount[e], minlength=n_p).astype(np.int64)
            points += np.bincount(r.promo[mine], weights=r.promo_points[mine], minlength=n_p).astype(np.int64)
            # a redemption: a discount or points awarded (a return only takes back: none)
            used += np.bincount(r.promo[mine & ((r.amount > 0) | (r.promo_points > 0))], minlength=n_p)
            idx = pr.idx[rows]
            day.baskets += int(rows.sum())
            day.lines += int(np.diff(b.offsets)[idx].sum())
            day.gross += int(r.gross[rows].sum())
            day.discount += int(r.discount[rows].sum())
            day.points += int(r.points[rows].sum())
            day.add_savings(r.discount[rows])
            day.baskets_by_hour[hour] = day.baskets_by_hour.get(hour, 0) + int(rows.sum())
        for i in np.nonzero(used | points)[0].tolist():
            t = day.promotions[self.rules.ranked[i].id]
            t.spend += int(spend[i])
            t.redemptions += int(used[i])
            t.points += int(points[i])
        for j in range(self.planner.nb):
            day.promotions[self.budget_ids[j]].left_out += int(plan.left_out[j])
        day.spend_by_hour[hour] = day.spend_by_hour.get(hour, 0) + int(spend.sum())
        day.unconfirmed += plan.unconfirmed

    def close_slice(self, minute: int) -> None:
        """Burn-down point after a slice: what each budget has used, in its own unit (cents of a
        money budget, redemptions of a count-only one), from the forecast ledger."""
        ledger = self.planner.ledger
        for j in range(self.planner.nb):
            t = self.day.promotions[self.budget_ids[j]]
            t.burn.append(int(ledger.amount[j]) if ledger.alim[j] >= 0 else int(ledger.count[j]))
        self.day.slice_minutes.append(minute)


async def setup_coupons(store: Store, tenant: str, coupon_types: list[dict]) -> None:
    """Create the scenario's GENERIC coupon types (and their shared codes) in the store."""
    for ct in coupon_types:
        if ct.get("type") != "GENERIC":
            continue
        await store.coupon_types.put(
            tenant, ct["id"], kind="GENERIC", status=ct.get("status", "ACTIVE"), code=ct["code"],
            max_redemptions=ct.get("maxRedemptions", NO_LIMIT),
            max_redemptions_per_customer=ct.get("maxRedemptionsPerCustomer", NO_LIMIT),
            promotion_ids=ct.get("promotionIds", []), document=orjson.dumps(ct).decode())


async def replay_day(scenario: Scenario, rules: Rules, coupon_types: list[dict], store: Store, tenant: str,
                     on_slice: Callable[[int, int, DaySummary], None] | None = None) -> DaySummary:
    """Run the whole day; ``on_slice(done, total, day)`` after each slice (progress display)."""
    from bench.simulation.arrivals import slice_counts

    rng = np.random.default_rng(scenario.seed)
    starts, counts = slice_counts(scenario, rng)
    replay = DayReplay(scenario, rules, coupon_types, store, tenant)
    await setup_coupons(store, tenant, coupon_types)
    started = time.perf_counter()
    send, receive = trio.open_memory_channel[Plan](PLANS_AHEAD)

    done = 0

    def slice_done() -> None:
        nonlocal done
        done += 1
        replay.day.wall_seconds = time.perf_counter() - started
        if on_slice:
            on_slice(done, len(starts), replay.day)

    drawn_send, drawn = trio.open_memory_channel[tuple[int, BasketBatch]](DRAWS_AHEAD)

    async def draw_ahead() -> None:
        # in a worker thread (numpy lets go of the GIL), off the planner's path: slice k + 1 is
        # drawn while slice k is priced and judged
        async with drawn_send:
            for minute, count in zip(starts.tolist(), counts.tolist()):
                b = await trio.to_thread.run_sync(replay.planner.draw, minute, count, rng)
                await drawn_send.send((minute, b))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(replay.confirm_all, receive, slice_done)
        nursery.start_soon(draw_ahead)
        async with send, drawn:
            async for minute, b in drawn:
                plan = await replay.planner.plan(minute, b)
                replay.book(plan)
                replay.close_slice(minute)
                await send.send(plan)
    replay.day.pricing_seconds = replay.planner.pricing_seconds
    replay.day.wall_seconds = time.perf_counter() - started
    return replay.day
