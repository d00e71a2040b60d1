"""Replay a simulated day: every slice's baskets priced in one batch kernel call, then every basket
that used a budget or a coupon confirmed through the real Lua scripts of the store.

Per slice (``sliceMinutes`` of the day): draw the baskets → ``kernels.price_batch`` in a thread →
for each basket whose discounts touch a budgeted promotion or that used a coupon: issue a counter
and confirm it (``confirm.lua``: budgets and coupon limits, all or nothing) → on BUDGET_EXHAUSTED
the lane re-prices without that promotion (as evaluate would a second later) and confirms again →
read the exhausted-budget set and the money budgets' remainders for the next slice (budget
knowledge lags one slice, as evaluate's lags about a second). A basket whose discount of a budgeted
promotion exceeds the known remainder is priced again without it before any confirm, as evaluate
does (dre.pricing.over_budget). Baskets touching no budget and no coupon change no store state, so they are
not sent to the store; their discounts count all the same.

Simplifications (documented in the report's README section): no customers (no per-customer
limits), coupons are GENERIC codes of the scenario's coupon types, budgets are consumed by each
basket's net discount per promotion (returns in the same basket reduce it; never below 0).
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import orjson
import trio

from actors.store import Store
from bench.simulation.baskets import BasketBatch, draw_baskets
from bench.simulation.catalogue import SyntheticCatalogue, make_catalogue
from bench.simulation.scenario import Scenario
from bench.simulation.summary import DaySummary, PromotionTotals
from dre.errors import DREError
from dre.pricing import Applied, Context, over_budget
from dre.promotion.model import Promotion
from dre.store.records import NO_LIMIT, BudgetUse, CouponClaim
from kernels import KernelSet, price_batch
from kernels import layout as lo

CONFIRM_CONCURRENCY = 2000  # confirms in flight at once: enough to fill the store actor's pipelines
MAX_REPRICES = 3  # a basket refused for an exhausted budget is re-priced at most this often
SIM_TTL_S = 3600  # the simulation's transactions need not outlive the run


@dataclass(frozen=True)
class Rules:
    """The scenario's promotion set, compiled, with what the replay needs per rank index."""

    kset: KernelSet
    ranked: list[Promotion]  # kset.ranked, indexed per discount in the hot loops
    budgeted: np.ndarray  # bool [P]: promotion has a budget
    gated_by: list[frozenset[str]]  # per rank index: coupon types that gate it
    code_type: dict[str, str]  # GENERIC code -> coupon type id


def compile_rules(promos: list[Promotion], ctx: Context) -> Rules:
    kset = KernelSet(promos)
    return Rules(
        kset=kset,
        ranked=list(kset.ranked),
        budgeted=np.array([p.budget is not None for p in kset.ranked], dtype=np.bool_),
        gated_by=[p.coupon_types or frozenset() for p in kset.ranked],
        code_type={code: chk.type_id for code, chk in ctx.coupons.items() if chk.type_id},
    )


@dataclass
class Slice:
    """One priced slice: the baskets and what the kernel gave each."""

    minute: int
    baskets: BasketBatch
    promo_off: np.ndarray
    promo: np.ndarray  # rank indices
    amount: np.ndarray  # signed cents
    gross: np.ndarray
    discount: np.ndarray
    points: np.ndarray


class DayReplay:
    """Owns the per-run state: catalogue mapping, context rows, exhausted flags, totals."""

    def __init__(self, scenario: Scenario, rules: Rules, store: Store, tenant: str) -> None:
        self.s = scenario
        self.rules = rules
        self.store = store
        self.tenant = tenant
        self.cat: SyntheticCatalogue = make_catalogue(scenario.catalogue, scenario.seed)
        vocab = rules.kset.compiled.vocab
        self.art_ids = np.array([vocab.get(a) for a in self.cat.articles], dtype=np.int64)
        self.grp_ids = np.array([vocab.get(g) for g in self.cat.groups], dtype=np.int64)
        self.pos_ids = np.array([vocab.get(g) for g in scenario.posGroups], dtype=np.int64)
        self.channel_id = vocab.get(scenario.channel)
        self.code_type_ids = np.array([vocab.get(rules.code_type.get(c)) for c in scenario.coupons.codes],
                                      dtype=np.int64)
        sign = -1 if scenario.utcOffset[0] == "-" else 1
        hh, mm = (int(x) for x in scenario.utcOffset[1:].split(":"))
        self.tz = timezone(sign * timedelta(hours=hh, minutes=mm))
        self.midnight = datetime(scenario.date.year, scenario.date.month, scenario.date.day, tzinfo=self.tz)
        self.exhausted = np.zeros(len(rules.ranked), dtype=np.bool_)
        self.remaining: dict[str, int] = {}  # cents left of money budgets, as read after each slice
        self.rank_of = {p.id: i for i, p in enumerate(rules.ranked)}
        self.dead_codes: set[int] = set()  # code indices that hit their redemption limit
        self.day = DaySummary()
        for p in rules.ranked:
            b = p.budget
            self.day.promotions[p.id] = PromotionTotals(p.id, p.name, b.amount if b else None,
                                                        b.redemptions if b else None)

    # ---- pricing (CPU; runs in a worker thread) ----------------------------------------------

    def _context(self, b: BasketBatch) -> np.ndarray:
        n = len(b)
        ctx = np.full((n, lo.CTX_COLS), -1, dtype=np.int64)
        ctx[:, lo.CTX_POS_GROUP] = self.pos_ids[b.store % len(self.pos_ids)]
        ctx[:, lo.CTX_CHANNEL] = self.channel_id
        midnight_us = int(self.midnight.timestamp()) * 1_000_000
        ctx[:, lo.CTX_TIME_US] = midnight_us + b.minute * 60_000_000
        ctx[:, lo.CTX_WEEKDAY] = self.midnight.isoweekday()
        ctx[:, lo.CTX_MINUTE] = b.minute
        ctx[:, lo.CTX_INCLUDE_INACTIVE] = 0
        return ctx

    def _codes(self, b: BasketBatch, drop: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        has = b.coupon >= 0
        types = self.code_type_ids[b.coupon[has]] if has.any() else np.empty(0, dtype=np.int64)
        if self.dead_codes and types.size:
            dead = np.isin(b.coupon[has], np.fromiter(self.dead_codes, dtype=np.int64))
            types = np.where(dead, -1, types)
        off = np.zeros(len(b) + 1, dtype=np.int64)
        np.cumsum(has, out=off[1:])
        return off, types

    def price(self, b: BasketBatch, minute: int, exhausted: np.ndarray) -> Slice:
        """Price a batch of baskets with the given exhausted-budget flags (one kernel call)."""
        code_off, code_types = self._codes(b)
        r = price_batch(self.rules.kset.tables, b.offsets, self.art_ids[b.article], self.grp_ids[b.group], b.milli,
                        b.unit_price, self._context(b), code_off, code_types, exhausted)
        return Slice(minute, b, r.promo_off, r.promo, r.amount, r.gross, r.discount, r.points)

    # ---- confirming (I/O; through the store actor) -------------------------------------------

    def _uses(self, sl: Slice, i: int) -> tuple[list[BudgetUse], list[CouponClaim]]:
        lo_, hi = sl.promo_off[i], sl.promo_off[i + 1]
        uses, claim = [], []
        code_idx = int(sl.baskets.coupon[i])
        code_type = self.rules.code_type.get(self.s.coupons.codes[code_idx]) if code_idx >= 0 else None
        for k in range(lo_, hi):
            pi = int(sl.promo[k])
            p = self.rules.ranked[pi]
            if self.rules.budgeted[pi] and sl.amount[k] > 0:
                b = p.budget
                uses.append(BudgetUse(p.id, int(sl.amount[k]),
                                      b.redemptions if b.redemptions is not None else NO_LIMIT,
                                      b.amount if b.amount is not None else NO_LIMIT, NO_LIMIT))
            if code_type and code_type in self.rules.gated_by[pi] and not claim:
                claim.append(CouponClaim(self.s.coupons.codes[code_idx]))
        return uses, claim

    async def _confirm(self, sl: Slice, i: int, refused: list[tuple[int, str]]) -> bool:
        """Confirm basket ``i``; True when done, False when refused for a budget (to re-price)."""
        uses, claims = self._uses(sl, i)
        if not uses and not claims:
            return True
        txn = f"sim-{sl.minute}-{i}-{uuid.uuid4().hex[:8]}"
        counter = await self.store.transactions.next_counter(self.tenant, txn, "{}", ttl_s=SIM_TTL_S)
        try:
            await self.store.transactions.confirm(self.tenant, txn, counter, customer_id=None, promotions=uses,
                                                  coupons=claims, answer="{}", job_payload="{}", ttl_s=SIM_TTL_S)
        except DREError as e:
            subject = e.details[0].path if e.details else ""
            if e.code == "BUDGET_EXHAUSTED":
                refused.append((i, subject))
                return False
            if e.code == "COUPON_UNAVAILABLE":
                self.day.coupon_refusals += 1
                self.dead_codes.add(int(sl.baskets.coupon[i]))
                refused.append((i, ""))
                return False
            raise
        self.day.coupon_redemptions += len(claims)
        return True

    async def confirm_slice(self, sl: Slice, skip: np.ndarray) -> list[tuple[int, str]]:
        """Confirm every basket of the slice that needs the store, but those in ``skip``; returns
        the refused ones."""
        refused: list[tuple[int, str]] = []
        limit = trio.CapacityLimiter(CONFIRM_CONCURRENCY)

        async def one(i: int) -> None:
            async with limit:
                await self._confirm(sl, i, refused)

        needs = self._needs_store(sl) & ~skip
        async with trio.open_nursery() as nursery:
            for i in np.nonzero(needs)[0]:
                nursery.start_soon(one, int(i))
        return refused

    def _needs_store(self, sl: Slice) -> np.ndarray:
        counts = np.diff(sl.promo_off)
        owner = np.repeat(np.arange(len(counts)), counts)
        touched = np.zeros(len(counts), dtype=np.bool_)
        hit = self.rules.budgeted[sl.promo] & (sl.amount > 0)
        touched[owner[hit]] = True
        return touched | (sl.baskets.coupon >= 0)

    # ---- accounting ---------------------------------------------------------------------------

    def book(self, sl: Slice, keep: np.ndarray) -> None:
        """Add the kept baskets of a slice to the day's totals."""
        b = sl.baskets
        counts = np.diff(sl.promo_off)
        owner = np.repeat(np.arange(len(counts)), counts)
        mask = keep[owner]
        hour = sl.minute // 60
        spend_hour = 0
        for pi, amt in zip(sl.promo[mask], sl.amount[mask]):
            t = self.day.promotions[self.rules.ranked[int(pi)].id]
            t.spend += int(amt)
            t.redemptions += 1
            spend_hour += int(amt)
        n = int(keep.sum())
        self.day.baskets += n
        self.day.lines += int(np.diff(b.offsets)[keep].sum())
        self.day.gross += int(sl.gross[keep].sum())
        self.day.discount += int(sl.discount[keep].sum())
        self.day.points += int(sl.points[keep].sum())
        self.day.spend_by_hour[hour] = self.day.spend_by_hour.get(hour, 0) + spend_hour
        self.day.baskets_by_hour[hour] = self.day.baskets_by_hour.get(hour, 0) + n
        self.day.add_savings(sl.discount[keep])

    def over_budget(self, sl: Slice) -> dict[int, frozenset[str]]:
        """Baskets of a priced slice that would get a discount the known remainder of its money
        budget cannot cover -> those promotions (evaluate's verdict, dre.pricing.over_budget)."""
        counts = np.diff(sl.promo_off)
        owner = np.repeat(np.arange(len(counts)), counts)
        out = {}
        for i in np.unique(owner[self.rules.budgeted[sl.promo] & (sl.amount > 0)]):
            lo_, hi = sl.promo_off[i], sl.promo_off[i + 1]
            applied = [Applied(self.rules.ranked[int(sl.promo[k])].id, int(sl.amount[k]), 0, None)
                       for k in range(lo_, hi)]
            over = over_budget(applied, self.rules.kset.by_id, self.remaining)
            if over:
                out[int(i)] = over
        return out

    def close_slice(self, minute: int, exhausted_ids: frozenset[str]) -> None:
        for pi, p in enumerate(self.rules.ranked):
            t = self.day.promotions[p.id]
            if p.id in exhausted_ids and t.exhausted_minute is None:
                t.exhausted_minute = minute
            if t.budget_amount:
                t.burn.append(min(t.spend, t.budget_amount))
            self.exhausted[pi] = p.id in exhausted_ids
        self.day.slice_minutes.append(minute)

    async def run_slice(self, minute: int, count: int, rng: np.random.Generator) -> None:
        """Price, confirm and book one slice. A basket refused for a budget is priced again
        without that promotion (as the service's next evaluate of that transaction would be)."""
        started, priced_before = time.perf_counter(), self.day.pricing_seconds
        pending = [(draw_baskets(self.s, self.cat, rng, count, minute), frozenset())]
        for attempt in range(MAX_REPRICES + 1):
            pending = [retry for batch, refused in pending
                       for retry in await self._price_and_confirm(batch, refused, minute, attempt)]
            if not pending:
                break
        self.remaining = await self.store.budgets.remaining(self.tenant)
        self.close_slice(minute, await self.store.budgets.exhausted(self.tenant))
        self.day.store_seconds += time.perf_counter() - started - (self.day.pricing_seconds - priced_before)

    async def _price_and_confirm(self, batch: BasketBatch, refused_before: frozenset[str], minute: int,
                                 attempt: int) -> list[tuple[BasketBatch, frozenset[str]]]:
        """Price a batch without ``refused_before``, confirm it, book what went through; return
        the refused baskets grouped by the promotions they must now be priced without."""
        flags = self.exhausted.copy()
        for pid in refused_before:
            flags[self.rank_of[pid]] = True
        t0 = time.perf_counter()
        sl = await trio.to_thread.run_sync(self.price, batch, minute, flags)
        self.day.pricing_seconds += time.perf_counter() - t0
        keep = np.ones(len(batch), dtype=np.bool_)
        over = self.over_budget(sl)
        left_out: dict[frozenset[str], list[int]] = {}
        for i, ids in over.items():  # not offered: priced again without them, never refused
            keep[i] = False
            left_out.setdefault(refused_before | ids, []).append(i)
            for pid in ids:
                self.day.promotions[pid].left_out += 1
        retry: dict[frozenset[str], list[int]] = {}
        for i, pid in await self.confirm_slice(sl, ~keep):
            keep[i] = False
            if pid:
                self.day.promotions[pid].refused += 1
            if attempt == MAX_REPRICES:
                self.day.unconfirmed += 1  # the lane gave up on it
            else:
                retry.setdefault(refused_before | ({pid} if pid else set()), []).append(i)
        self.book(sl, keep)
        again = [(_subset(batch, np.array(sorted(idx), dtype=np.int64)), ex) for ex, idx in retry.items()]
        for ex, idx in left_out.items():  # the same attempt: leaving out is not a refusal
            again += await self._price_and_confirm(_subset(batch, np.array(sorted(idx), dtype=np.int64)), ex,
                                                   minute, attempt)
        return again


def _subset(b: BasketBatch, idx: np.ndarray) -> BasketBatch:
    """The baskets ``idx`` of a batch, as a batch of their own."""
    sizes = np.diff(b.offsets)[idx]
    offsets = np.zeros(len(idx) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    lines = np.concatenate([np.arange(b.offsets[i], b.offsets[i + 1]) for i in idx]) if len(idx) else \
        np.empty(0, dtype=np.int64)
    return BasketBatch(offsets, b.article[lines], b.group[lines], b.milli[lines], b.unit_price[lines],
                       b.gross[lines], b.store[idx], b.minute[idx], b.coupon[idx])


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
    replay = DayReplay(scenario, rules, store, tenant)
    await setup_coupons(store, tenant, coupon_types)
    started = time.perf_counter()
    for k, (minute, count) in enumerate(zip(starts, counts)):
        await replay.run_slice(int(minute), int(count), rng)
        replay.day.wall_seconds = time.perf_counter() - started
        if on_slice:
            on_slice(k + 1, len(starts), replay.day)
    return replay.day
