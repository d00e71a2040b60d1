"""One slice of the day priced and judged: which priced version of each basket is confirmed, which
confirms are refused, which promotions baskets were priced without (bench.simulation.ledger).

Per slice (its baskets drawn ahead, bench.simulation.replay): price them all in one ``kernels.price_batch`` call (in a worker
thread: the kernels release the GIL, so the confirms of earlier slices go on meanwhile) with the
budgets known used up at the slice's start → baskets whose discount a money budget's remainder
cannot pay are priced again without it (one call per without-set) → if the slice's uses could
overrun a budget or a code's limit, the baskets touching it are judged one by one in arrival order
(ledger.judge), priced again where they need to be, until the forecast is settled.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import trio

from bench.simulation.baskets import BasketBatch, draw_baskets
from bench.simulation.catalogue import SyntheticCatalogue, make_catalogue
from bench.simulation.ledger import Ledger, Uses, judge
from bench.simulation.scenario import Scenario
from dre.pricing import Context
from dre.promotion.model import Promotion
from dre.store.records import NO_LIMIT
from kernels import BatchResult, KernelSet, price_batch
from kernels import layout as lo

MAX_REPRICES = 3  # a basket refused at confirm is priced again at most this often (then the lane gives up)


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
class Priced:
    """One kernel call over some baskets of a slice, all priced without the budgets ``without``."""

    idx: np.ndarray  # the slice's basket index of each row
    without: int  # bitmask of budgets
    res: BatchResult
    owner: np.ndarray  # row of each (basket, promotion) entry
    j: np.ndarray  # per entry: the budget it consumes (-1: none, or no positive amount)
    claim: np.ndarray  # per row: the code presented is claimed (a promotion it gates applied)
    code_j: np.ndarray  # per row: the budget index of the code presented (-1: none)

    def uses(self, row: int) -> Uses:
        lo_, hi = self.res.promo_off[row], self.res.promo_off[row + 1]
        out = tuple((int(j), int(a)) for j, a in zip(self.j[lo_:hi], self.res.amount[lo_:hi]) if j >= 0)
        return out + ((int(self.code_j[row]), 0),) if self.claim[row] else out


@dataclass
class Plan:
    """A judged slice: what to confirm (accepted before refused) and what to book."""

    minute: int
    baskets: BasketBatch
    priced: list[Priced]
    accepted: list[np.ndarray]  # per Priced: bool per row, the version confirmed
    refused: list[tuple[int, int, int, int]]  # (Priced index, row, attempt number, budget j)
    left_out: np.ndarray  # int [budgets]: baskets priced without it for its remainder / used up
    unconfirmed: int  # baskets the lane gave up on


class Planner:
    """Prices and judges the slices of one day, in order, keeping the forecast ledger."""

    def __init__(self, scenario: Scenario, rules: Rules, coupon_types: list[dict], refresh_ms: int) -> None:
        self.s = scenario
        self.rules = rules
        self.refresh_ms = refresh_ms
        self.cat: SyntheticCatalogue = make_catalogue(scenario.catalogue, scenario.seed)
        vocab = rules.kset.compiled.vocab
        self.art_ids = np.array([vocab.get(a) for a in self.cat.articles], dtype=np.int64)
        self.grp_ids = np.array([vocab.get(g) for g in self.cat.groups], dtype=np.int64)
        self.pos_ids = np.array([vocab.get(g) for g in scenario.posGroups], dtype=np.int64)
        self.channel_id = vocab.get(scenario.channel)
        codes = scenario.coupons.codes
        self.code_type_ids = np.array([vocab.get(rules.code_type.get(c)) for c in codes], dtype=np.int64)
        sign = -1 if scenario.utcOffset[0] == "-" else 1
        hh, mm = (int(x) for x in scenario.utcOffset[1:].split(":"))
        self.midnight = datetime(scenario.date.year, scenario.date.month, scenario.date.day,
                                 tzinfo=timezone(sign * timedelta(hours=hh, minutes=mm)))
        # budgets: the budgeted promotions (rank order), then the coupon codes
        self.budget_promo = np.nonzero(rules.budgeted)[0]
        self.nb = len(self.budget_promo)
        self.budget_of = np.full(len(rules.ranked), -1, dtype=np.int64)
        self.budget_of[self.budget_promo] = np.arange(self.nb)
        code_max = {ct["code"]: ct.get("maxRedemptions", NO_LIMIT) for ct in coupon_types
                    if ct.get("type") == "GENERIC" and "code" in ct}

        def lim(v: int | None) -> int:
            return NO_LIMIT if v is None else int(v)

        budgets = [rules.ranked[p].budget for p in self.budget_promo]
        self.ledger = Ledger([lim(b.amount) for b in budgets] + [NO_LIMIT] * len(codes),
                             [lim(b.redemptions) for b in budgets] + [lim(code_max.get(c)) for c in codes])
        # gates[p, c]: promotion p applies only with code c's type, so applying it claims the code
        self.gates = np.array([[rules.code_type.get(c) in g for c in codes] for g in rules.gated_by],
                              dtype=np.bool_).reshape(len(rules.ranked), len(codes))
        self.pricing_seconds = 0.0

    # ---- pricing ------------------------------------------------------------------------------

    def _context(self, b: BasketBatch) -> np.ndarray:
        ctx = np.full((len(b), lo.CTX_COLS), -1, dtype=np.int64)
        ctx[:, lo.CTX_POS_GROUP] = self.pos_ids[b.store % len(self.pos_ids)]
        ctx[:, lo.CTX_CHANNEL] = self.channel_id
        ctx[:, lo.CTX_TIME_US] = int(self.midnight.timestamp()) * 1_000_000 + b.minute * 60_000_000
        ctx[:, lo.CTX_WEEKDAY] = self.midnight.isoweekday()
        ctx[:, lo.CTX_MINUTE] = b.minute
        ctx[:, lo.CTX_INCLUDE_INACTIVE] = 0
        return ctx

    def _price(self, b: BasketBatch, idx: np.ndarray, without: int, known_out: np.ndarray) -> Priced:
        """Price the baskets ``idx`` without the budgets known used up (``known_out``) and ``without``."""
        sub = _subset(b, idx)
        gone = known_out.copy()
        for j in _bits(without):
            gone[j] = True
        flags = np.zeros(len(self.rules.ranked), dtype=np.bool_)
        flags[self.budget_promo] = gone[:self.nb]
        code_j = np.where(sub.coupon >= 0, self.nb + sub.coupon, -1)
        has = code_j >= 0
        has[has] = ~gone[code_j[has]]  # a code known used up is not presented as usable
        code_off = np.zeros(len(sub) + 1, dtype=np.int64)
        np.cumsum(has, out=code_off[1:])
        r = price_batch(self.rules.kset.tables, sub.offsets, self.art_ids[sub.article], self.grp_ids[sub.group],
                        sub.milli, sub.unit_price, self._context(sub), code_off, self.code_type_ids[sub.coupon[has]],
                        flags)
        counts = np.diff(r.promo_off)
        owner = np.repeat(np.arange(len(sub)), counts)
        j = self.budget_of[r.promo]
        j = np.where(r.amount > 0, j, -1)  # a budget is consumed by a positive net discount only
        claim = np.zeros(len(sub), dtype=np.bool_)
        if self.gates.shape[1] and has.any():
            hit = has[owner] & self.gates[r.promo, np.maximum(sub.coupon[owner], 0)]
            claim[owner[hit]] = True
        return Priced(idx, without, r, owner, j, claim, np.where(has, code_j, -1))

    async def _price_groups(self, b: BasketBatch, groups: dict[int, list[np.ndarray]], known_out: np.ndarray,
                            priced: list[Priced], versions: "Versions") -> list[int]:
        """Price each group of baskets without its set; register the versions; their Priced indices."""
        added = []
        for without, parts in sorted(groups.items()):
            idx = np.sort(np.concatenate(parts))
            t0 = time.perf_counter()
            pr = await trio.to_thread.run_sync(self._price, b, idx, without, known_out)
            self.pricing_seconds += time.perf_counter() - t0
            added.append(versions.add(pr))
        return added

    # ---- judging ------------------------------------------------------------------------------

    def draw(self, minute: int, count: int, rng: np.random.Generator) -> BasketBatch:
        """The ``count`` baskets of the slice starting at ``minute`` (slices drawn in order: one
        stream of ``rng`` for the day, whatever the pricing and judging did in between)."""
        return draw_baskets(self.s, self.cat, rng, count, minute)

    async def plan(self, minute: int, b: BasketBatch) -> Plan:
        """Price and judge one slice's baskets; the ledger then holds the forecast after it."""
        n = len(b)
        start = self.ledger
        known_out = start.exhausted()
        remainder = start.remainder()
        priced: list[Priced] = []
        versions = Versions(priced)
        await self._price_groups(b, {0: [np.arange(n)]}, known_out, priced, versions)
        current = np.zeros((n, 2), dtype=np.int64)  # (Priced, row) reached with the start's knowledge
        current[:, 1] = np.arange(n)
        left: list[tuple[np.ndarray, int]] = []  # (baskets, bitmask of budgets left out)
        todo = [0]
        while todo:  # remainders known at the start that cannot pay a discount: certain left-outs
            groups: dict[int, list[np.ndarray]] = {}
            for k in todo:
                pr = priced[k]
                over = (pr.j >= 0) & (pr.res.amount > remainder[np.maximum(pr.j, 0)])
                for rows, mask in _row_masks(pr.owner[over], pr.j[over]):
                    left.append((pr.idx[rows], mask))
                    groups.setdefault(pr.without | mask, []).append(pr.idx[rows])
            todo = await self._price_groups(b, groups, known_out, priced, versions)
            for k in todo:
                current[priced[k].idx, 0] = k
                current[priced[k].idx, 1] = np.arange(len(priced[k].idx))

        times = arrival_ms(b)
        at_risk = np.zeros(len(start.alim), dtype=np.bool_)
        outcomes: dict = {}
        while True:
            chosen = self._chosen(priced, current, outcomes, versions, n)
            sums_a, sums_c = self._sums(priced, chosen)
            newly = start.over(sums_a, sums_c) & ~at_risk
            if not newly.any():
                break
            at_risk |= newly
            touch = np.zeros(n, dtype=np.bool_)
            for k, pr in enumerate(priced):  # baskets any priced version of which touches a budget at risk
                hit = (pr.j >= 0) & at_risk[np.maximum(pr.j, 0)]
                touch[pr.idx[np.unique(pr.owner[hit])]] = True
                code_hit = pr.claim & (pr.code_j >= 0) & at_risk[np.maximum(pr.code_j, 0)]
                touch[pr.idx[code_hit]] = True
            order = sorted(np.nonzero(touch)[0].tolist(), key=lambda i: (times[i], i))

            def version(basket: int, without: int) -> Uses | None:
                v = versions.get(basket, without)
                return None if v is None else priced[v[0]].uses(v[1])

            while True:
                outcomes = judge(order, times, version, start, self.refresh_ms, self.nb, MAX_REPRICES)
                groups = {}
                for basket, o in outcomes.items():
                    if o.need is not None:
                        groups.setdefault(o.need, []).append(basket)
                if not groups:
                    break
                await self._price_groups(b, {w: [np.array(bs, dtype=np.int64)] for w, bs in groups.items()},
                                         known_out, priced, versions)
        return self._finish(minute, b, priced, chosen, outcomes, versions, left)

    def _chosen(self, priced: list[Priced], current: np.ndarray, outcomes: dict, versions: "Versions",
                n: int) -> np.ndarray:
        """(Priced, row) of each basket's confirmed version ((-1, -1): none): the judged ones'
        as judged, the others' as the start's knowledge left them."""
        chosen = current.copy()
        for basket, o in outcomes.items():
            if o.accepted is None:
                chosen[basket] = -1
            else:
                chosen[basket] = versions.get(basket, o.accepted)
        return chosen

    def _sums(self, priced: list[Priced], chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nbud = len(self.ledger.alim)
        sums_a, sums_c = np.zeros(nbud, dtype=np.int64), np.zeros(nbud, dtype=np.int64)
        for k, pr in enumerate(priced):
            rows = self._rows_of(pr, k, chosen)
            e = rows[pr.owner] & (pr.j >= 0)
            sums_a += np.bincount(pr.j[e], weights=pr.res.amount[e], minlength=nbud).astype(np.int64)
            sums_c += np.bincount(pr.j[e], minlength=nbud)
            c = rows & pr.claim
            sums_c += np.bincount(pr.code_j[c], minlength=nbud)
        return sums_a, sums_c

    @staticmethod
    def _rows_of(pr: Priced, k: int, chosen: np.ndarray) -> np.ndarray:
        """bool per row of ``pr``: the version chosen for its basket."""
        mine = chosen[pr.idx]
        return (mine[:, 0] == k) & (mine[:, 1] == np.arange(len(pr.idx)))

    def _finish(self, minute: int, b: BasketBatch, priced: list[Priced], chosen: np.ndarray, outcomes: dict,
                versions: "Versions", left: list[tuple[np.ndarray, int]]) -> Plan:
        accepted = [self._rows_of(pr, k, chosen) for k, pr in enumerate(priced)]
        refused = []
        left_out = np.zeros(len(self.ledger.alim), dtype=np.int64)
        judged = np.zeros(len(b), dtype=np.bool_)
        for basket, o in outcomes.items():
            judged[basket] = True
            for j in _bits(o.left):
                left_out[j] += 1
            for attempt, (without, j) in enumerate(o.refused):
                refused.append((*versions.get(basket, without), attempt, j))
        for baskets, mask in left:  # the start's certain left-outs of the baskets not judged since
            n = int((~judged[baskets]).sum())
            for j in _bits(mask):
                left_out[j] += n
        for k, pr in enumerate(priced):  # the forecast ledger after the slice
            rows = accepted[k]
            e = rows[pr.owner] & (pr.j >= 0)
            c = rows & pr.claim
            self.ledger.add(np.concatenate([pr.j[e], pr.code_j[c]]),
                            np.concatenate([pr.res.amount[e], np.zeros(int(c.sum()), dtype=np.int64)]))
        unconfirmed = sum(1 for o in outcomes.values() if o.accepted is None)
        return Plan(minute, b, priced, accepted, refused, left_out, unconfirmed)


class Versions:
    """Where each basket's version priced without a given set is: (Priced index, row)."""

    def __init__(self, priced: list[Priced]) -> None:
        self.priced = priced
        self.by_without: dict[int, list[int]] = {}

    def add(self, pr: Priced) -> int:
        k = len(self.priced)
        self.priced.append(pr)
        self.by_without.setdefault(pr.without, []).append(k)
        return k

    def get(self, basket: int, without: int) -> tuple[int, int] | None:
        for k in self.by_without.get(without, ()):
            idx = self.priced[k].idx  # sorted
            row = int(np.searchsorted(idx, basket))
            if row < len(idx) and idx[row] == basket:
                return k, row
        return None


def _row_masks(owner: np.ndarray, j: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """Entries (row, budget) grouped as (rows, bitmask of their budgets), one group per bitmask."""
    if not len(owner):
        return []
    rows, first = np.unique(owner, return_index=True)  # entries come in row order
    if int(j.max()) < 62:
        masks = np.bitwise_or.reduceat(np.left_shift(np.int64(1), j), first)
        return [(rows[masks == m], int(m)) for m in np.unique(masks).tolist()]
    by: dict[int, list[int]] = {}
    for r, lo_, hi in zip(rows.tolist(), first.tolist(), [*first[1:].tolist(), len(j)]):
        m = 0
        for x in j[lo_:hi].tolist():
            m |= 1 << x
        by.setdefault(m, []).append(r)
    return [(np.array(rs, dtype=np.int64), m) for m, rs in by.items()]


def arrival_ms(b: BasketBatch) -> np.ndarray:
    """Each basket's arrival in ms of the day: its minute, and within the minute its rank among the
    baskets of that minute (the draw's order is already random) spread evenly."""
    n = len(b)
    order = np.lexsort((np.arange(n), b.minute))
    minute = b.minute[order]
    first = np.searchsorted(minute, minute, side="left")
    per = np.searchsorted(minute, minute, side="right") - first
    out = np.empty(n, dtype=np.int64)
    out[order] = minute * 60_000 + (np.arange(n) - first) * 60_000 // per
    return out


def _bits(mask: int) -> list[int]:
    out, j = [], 0
    while mask:
        if mask & 1:
            out.append(j)
        mask >>= 1
        j += 1
    return out


def _subset(b: BasketBatch, idx: np.ndarray) -> BasketBatch:
    """The baskets ``idx`` of a batch, as a batch of their own (``b`` itself for all of them)."""
    if len(idx) == len(b) and (idx == np.arange(len(b))).all():
        return b
    sizes = np.diff(b.offsets)[idx]
    offsets = np.zeros(len(idx) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    lines = (np.repeat(b.offsets[idx] - offsets[:-1], sizes) + np.arange(offsets[-1])) if len(idx) else \
        np.empty(0, dtype=np.int64)
    return BasketBatch(offsets, b.article[lines], b.group[lines], b.milli[lines], b.unit_price[lines],
                       b.gross[lines], b.store[idx], b.minute[idx], b.coupon[idx])
