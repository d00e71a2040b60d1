"""Promotions -> arrays: a :class:`Compiled` set of int64 tables (kernels.layout) plus its vocabulary."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

from dre.promotion import model as m
from kernels import layout as lo
from kernels.index import build_index
from kernels.vocabulary import Vocabulary

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ALL_DAYS = 0x7F


def epoch_us(t: datetime) -> int:
    """Exact microseconds since the Unix epoch of an aware datetime (naive: UTC)."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return (t - EPOCH) // timedelta(microseconds=1)


def day_bits(days: Iterable[int] | None) -> int:
    """Weekday set (1 = Monday .. 7 = Sunday) as bits; None = every day."""
    if days is None:
        return ALL_DAYS
    bits = 0
    for d in days:
        bits |= 1 << (d - 1)
    return bits


@dataclass(frozen=True)
class Compiled:
    """A compiled promotion set: ``tables`` for the kernels, ``vocab`` to intern basket strings."""

    ranked: tuple[m.Promotion, ...]
    vocab: Vocabulary
    tables: lo.Tables


class _Builder:
    def __init__(self) -> None:
        self.vocab = Vocabulary()
        self.set_vals: list[np.ndarray] = []
        self.acts: list[list[int]] = []
        self.tiers: list[list[int]] = []
        self.comps: list[list[int]] = []
        self.pts: list[list[int]] = []
        self.ctxc: list[list[int]] = []
        self.timec: list[list[int]] = []
        self.spend: list[list[int]] = []

    def add_set(self, values: Iterable[str] | None) -> int:
        """A sorted set of interned ids; -1 for None."""
        if values is None:
            return -1
        self.set_vals.append(np.unique(np.array(self.vocab.intern_all(sorted(values)), dtype=np.int64)))
        return len(self.set_vals) - 1

    def add_tiers(self, tiers: Sequence[tuple[int, m.Calc]]) -> tuple[int, int]:
        start = len(self.tiers)
        self.tiers += [[minimum, c.kind, c.value] for minimum, c in tiers]
        return start, len(self.tiers)

    def action(self, a: m.PriceAction) -> list[int]:
        row = [0] * lo.A_COLS
        row[lo.A_SET] = row[lo.A_GET_SET] = row[lo.A_MAX_MILLI] = -1
        if isinstance(a, m.UnitAction):
            row[lo.A_KIND] = lo.ACT_UNIT
            row[lo.A_BY_GROUP] = int(a.by_group)
            row[lo.A_SET] = self.add_set(a.values)
            row[lo.A_CALC_KIND], row[lo.A_CALC_VALUE] = a.calc.kind, a.calc.value
            row[lo.A_MAX_MILLI] = -1 if a.max_milli is None else a.max_milli
        elif isinstance(a, m.ReceiptAction):
            row[lo.A_KIND] = lo.ACT_RECEIPT
            row[lo.A_CALC_KIND], row[lo.A_CALC_VALUE] = a.calc.kind, a.calc.value
        elif isinstance(a, m.ScaledReceiptAction):
            row[lo.A_KIND] = lo.ACT_SCALED
            row[lo.A_TIER_OFF], row[lo.A_TIER_END] = self.add_tiers(a.tiers)
        elif isinstance(a, m.QuantityTierAction):
            row[lo.A_KIND] = lo.ACT_QTIER
            row[lo.A_SET] = self.add_set(a.values)
            row[lo.A_TIER_OFF], row[lo.A_TIER_END] = self.add_tiers(a.tiers)
        elif isinstance(a, m.BundleAction):
            row[lo.A_KIND] = lo.ACT_BUNDLE
            row[lo.A_COMP_OFF] = len(self.comps)
            self.comps += [[self.add_set(values), qty] for values, qty in a.components]
            row[lo.A_COMP_END] = len(self.comps)
            row[lo.A_CALC_KIND], row[lo.A_CALC_VALUE] = a.calc.kind, a.calc.value
        elif isinstance(a, m.GiftAction):
            row[lo.A_KIND] = lo.ACT_GIFT
            row[lo.A_SET], row[lo.A_BUY_QTY] = self.add_set(a.buy), a.buy_qty
            # one set row for both when they are the same set: the kernel reads that as the grouping rule
            row[lo.A_GET_SET] = row[lo.A_SET] if a.get == a.buy else self.add_set(a.get)
            row[lo.A_GET_QTY] = a.get_qty
            row[lo.A_CALC_KIND], row[lo.A_CALC_VALUE] = m.PCT, a.pct
        else:
            raise TypeError(f"unknown price action {type(a).__name__}")
        return row

    def promotion(self, p: m.Promotion) -> list[int]:
        row = [0] * lo.P_COLS
        row[lo.P_ACTIVE] = int(p.active)
        row[lo.P_EXCLUSIVE] = int(p.exclusive)
        row[lo.P_MULTIPLICATIVE] = int(p.multiplicative)
        row[lo.P_ROUND_MODE], row[lo.P_ROUND_STEP] = p.rounding_mode, p.rounding_step
        if p.valid_from is not None:
            row[lo.P_HAS_FROM], row[lo.P_FROM_US] = 1, epoch_us(p.valid_from)
        if p.valid_to is not None:
            row[lo.P_HAS_TO], row[lo.P_TO_US] = 1, epoch_us(p.valid_to)
        row[lo.P_WIN_DAYS] = -1
        if p.window is not None:
            row[lo.P_WIN_DAYS] = day_bits(p.window.days)
            row[lo.P_WIN_FROM], row[lo.P_WIN_TO] = p.window.from_min, p.window.to_min
        row[lo.P_POS_SET] = self.add_set(p.pos_groups)
        row[lo.P_CTX_OFF] = len(self.ctxc)
        self.ctxc += [[lo.CONTEXT_FIELDS[c.field], self.add_set(c.values)] for c in p.context_conds]
        row[lo.P_CTX_END] = len(self.ctxc)
        row[lo.P_COUPON_SET] = self.add_set(p.coupon_types)
        row[lo.P_TIME_OFF] = len(self.timec)
        self.timec += [[day_bits(w.days), w.from_min, w.to_min] for w in p.time_conds]
        row[lo.P_TIME_END] = len(self.timec)
        row[lo.P_HAS_ARTICLE] = int(bool(p.article_conds))
        arts = [v for c in p.article_conds if not c.by_group for v in c.values]
        grps = [v for c in p.article_conds if c.by_group for v in c.values]
        row[lo.P_QUAL_ART_SET] = self.add_set(arts) if arts else -1
        row[lo.P_QUAL_GRP_SET] = self.add_set(grps) if grps else -1
        row[lo.P_MIN_MILLI] = p.min_quantity.milli if p.min_quantity else -1
        row[lo.P_SPEND_OFF] = len(self.spend)
        self.spend += [[s.cents, int(s.receipt_scope)] for s in p.min_spend]
        row[lo.P_SPEND_END] = len(self.spend)
        row[lo.P_ACT_OFF] = len(self.acts)
        self.acts += [self.action(a) for a in p.price_actions]
        row[lo.P_ACT_END] = len(self.acts)
        row[lo.P_PTS_OFF] = len(self.pts)
        self.pts += [[lo.POINTS_KINDS[a.kind], a.points, a.per, a.factor,
                      self.add_set(a.values)] for a in p.points]
        row[lo.P_PTS_END] = len(self.pts)
        row[lo.P_GRANTS] = int(bool(p.injects or p.issue_coupons))
        return row


def _table(rows: list[list[int]], cols: int) -> np.ndarray:
    return np.ascontiguousarray(np.array(rows, dtype=np.int64).reshape(len(rows), cols))


def compile_promotions(promotions: Iterable[m.Promotion]) -> Compiled:
    """Compile promotions (any order) into the kernels' tables, rows in rank order."""
    ranked = tuple(sorted(promotions, key=lambda p: p.rank))
    b = _Builder()
    promo_rows = [b.promotion(p) for p in ranked]
    art_pairs: list[tuple[int, int]] = []
    grp_pairs: list[tuple[int, int]] = []
    global_promos = []
    gpos_pairs: list[tuple[int, int]] = []
    for k, p in enumerate(ranked):
        if not p.article_conds and p.pos_groups is None:
            global_promos.append(k)
        elif not p.article_conds:
            gpos_pairs.extend((i, k) for i in b.vocab.intern_all(p.pos_groups))
        for c in p.article_conds:
            ids = b.vocab.intern_all(c.values)
            (grp_pairs if c.by_group else art_pairs).extend((i, k) for i in ids)
    set_off = np.zeros(len(b.set_vals) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in b.set_vals], out=set_off[1:])
    set_vals = np.concatenate(b.set_vals) if b.set_vals else np.empty(0, dtype=np.int64)
    regions = dict(
        promo=_table(promo_rows, lo.P_COLS),
        act=_table(b.acts, lo.A_COLS),
        tiers=_table(b.tiers, lo.TIER_COLS),
        comps=_table(b.comps, lo.COMP_COLS),
        pts=_table(b.pts, lo.PTS_COLS),
        ctxc=_table(b.ctxc, lo.CTXC_COLS),
        timec=_table(b.timec, lo.TIMEC_COLS),
        spend=_table(b.spend, lo.SPEND_COLS),
        set_off=set_off,
        set_vals=np.ascontiguousarray(set_vals, dtype=np.int64),
        **build_index(len(b.vocab), art_pairs, grp_pairs, global_promos, gpos_pairs),
    )
    return Compiled(ranked, b.vocab, pack(regions))


def pack(regions: dict[str, np.ndarray]) -> lo.Tables:
    """One flat int64 array (layout.REGIONS after a header of region offsets) and views into it."""
    sizes = [regions[name].size for name in lo.REGIONS]
    flat = np.empty(lo.HEADER + sum(sizes), dtype=np.int64)
    flat[0] = lo.HEADER
    np.cumsum(sizes, out=flat[1:lo.HEADER])
    flat[1:lo.HEADER] += lo.HEADER
    views = {}
    for r, name in enumerate(lo.REGIONS):
        view = flat[flat[r]:flat[r + 1]]
        view[:] = regions[name].ravel()
        views[name] = view.reshape(regions[name].shape)
    return lo.Tables(flat=flat, **views)
