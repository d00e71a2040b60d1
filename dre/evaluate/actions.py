"""One function per price action: (promotion, action, part lines, discount so far) -> amounts.

Each returns the unclamped discount per line of the part; `dre.evaluate.apply` clamps them.
``done[i]`` is what earlier steps took off line i; ADDITIVE promotions pass zeros, so that their
base is the gross, MULTIPLICATIVE ones pass the real figure, so that their base is what is left.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dre.evaluate import calculators as calc
from dre.money import MILLI, allocate
from dre.promotion import model as m


@dataclass(frozen=True)
class PartLine:
    """A line of one part (sale or return), quantities made positive."""

    index: int  # position in the request
    article: str
    group: str
    milli: int
    unit_price: int
    gross: int


def matches_any(values: m.Values, line: PartLine) -> bool:
    """QUANTITY_TIER, BUNDLE, FREE_ITEM: a line matches by article number or article group."""
    return line.article in values or line.group in values


def matches_unit(action: m.UnitAction, line: PartLine) -> bool:
    return (line.group if action.by_group else line.article) in action.values


def _dearest_first(lines: list[PartLine], idx: list[int]) -> list[int]:
    return sorted(idx, key=lambda i: (-lines[i].unit_price, i))


def _per_unit(promo: m.Promotion, c: m.Calc, lines: list[PartLine], done: list[int],
              milli_of: dict[int, int]) -> list[int]:
    """The calculator on ``milli_of[i]`` thousandths of units of each listed line."""
    out = [0] * len(lines)
    for i, dq in milli_of.items():
        ln = lines[i]
        disc = calc.unit_discount(c, calc.unit_base(ln.unit_price, ln.milli, done[i]))
        out[i] = calc.line_amount(promo, disc, dq)
    return out


def unit_action(promo: m.Promotion, a: m.UnitAction, lines: list[PartLine], done: list[int]) -> list[int]:
    """ARTICLE / ARTICLE_GROUP: per-unit discount; maxQuantity takes the dearest units first."""
    idx = [i for i, ln in enumerate(lines) if matches_unit(a, ln)]
    if a.max_milli is None:
        return _per_unit(promo, a.calc, lines, done, {i: lines[i].milli for i in idx})
    left, take = a.max_milli, {}
    for i in _dearest_first(lines, idx):
        if left <= 0:
            break
        take[i] = min(lines[i].milli, left)
        left -= take[i]
    return _per_unit(promo, a.calc, lines, done, take)


def _spread(promo: m.Promotion, c: m.Calc, lines: list[PartLine], done: list[int]) -> list[int]:
    base = [ln.gross - d for ln, d in zip(lines, done)]
    return allocate(calc.pooled_amount(promo, c, sum(base)), base)


def receipt_action(promo: m.Promotion, a: m.ReceiptAction, lines: list[PartLine], done: list[int]) -> list[int]:
    """RECEIPT: on the whole part, spread over its lines in proportion to their bases."""
    return _spread(promo, a.calc, lines, done)


def scaled_receipt_action(promo: m.Promotion, a: m.ScaledReceiptAction, lines: list[PartLine],
                          done: list[int]) -> list[int]:
    """SCALED_RECEIPT: the highest tier whose minSpend the part's gross reaches."""
    gross = sum(ln.gross for ln in lines)
    reached = [c for min_spend, c in a.tiers if min_spend <= gross]
    return _spread(promo, reached[-1], lines, done) if reached else [0] * len(lines)


def quantity_tier_action(promo: m.Promotion, a: m.QuantityTierAction, lines: list[PartLine],
                         done: list[int]) -> list[int]:
    """QUANTITY_TIER: the highest tier reached by the matching quantity, on every matching unit."""
    idx = [i for i, ln in enumerate(lines) if matches_any(a.values, ln)]
    total = sum(lines[i].milli for i in idx)
    reached = [c for min_q, c in a.tiers if min_q <= total]
    if not reached:
        return [0] * len(lines)
    return _per_unit(promo, reached[-1], lines, done, {i: lines[i].milli for i in idx})


def _whole_units(lines: list[PartLine], idx: list[int]) -> list[int]:
    """Line positions, one entry per whole unit, dearest first."""
    return [i for i in _dearest_first(lines, idx) for _ in range(lines[i].milli // MILLI)]


def _take(pool: list[int], n: int, values: m.Values, lines: list[PartLine],
          cheapest: bool = False) -> list[int] | None:
    """Remove and return the first ``n`` units of ``pool`` that match ``values`` (the last ``n`` with
    ``cheapest``: the pool is dearest first); None if too few."""
    ks = reversed(range(len(pool))) if cheapest else range(len(pool))
    picked = sorted([k for k in ks if matches_any(values, lines[pool[k]])][:n])
    if len(picked) < n:
        return None
    taken = [pool[k] for k in picked]
    for k in reversed(picked):
        del pool[k]
    return taken


def bundle_action(promo: m.Promotion, a: m.BundleAction, lines: list[PartLine], done: list[int]) -> list[int]:
    """BUNDLE: complete bundles filled with the dearest matching units; the amount split by value."""
    value = [calc.unit_value(ln.gross - d, ln.milli) for ln, d in zip(lines, done)]
    pool = _whole_units(lines, list(range(len(lines))))
    taken = [0] * len(lines)
    bundles: list[int] = []
    while True:
        trial = list(pool)
        units: list[int] = []
        for values, qty in a.components:
            got = _take(trial, qty, values, lines)
            if got is None:
                break
            units += got
        else:
            pool = trial
            for i in units:
                taken[i] += 1
            bundles.append(sum(value[i] for i in units))
            continue
        break
    if a.calc.kind == m.FIX:
        amount = sum(max(0, b - a.calc.value) for b in bundles)
    elif a.calc.kind == m.AMT:
        amount = sum(min(a.calc.value, b) for b in bundles)
    else:
        amount = calc.pooled_amount(promo, a.calc, sum(bundles))
    covered = [t * v for t, v in zip(taken, value)]
    return allocate(amount, covered) if amount else [0] * len(lines)


def gift_units(a: m.GiftAction, lines: list[PartLine]) -> dict[int, int]:
    """FREE_ITEM GIFT, buy N get M: {line: whole units given}. Repeatedly the N dearest buy units,
    then M get units: the next dearest when buy and get are one set (so each group of N+M gives
    its M cheapest), else the M cheapest get units not yet used (a unit in both sets was offered
    to buy first); until either cannot be filled."""
    idx = [i for i, ln in enumerate(lines) if matches_any(a.buy, ln) or matches_any(a.get, ln)]
    pool = _whole_units(lines, idx)
    cheapest = a.buy != a.get
    gifts: dict[int, int] = {}
    while _take(pool, a.buy_qty, a.buy, lines) is not None:
        got = _take(pool, a.get_qty, a.get, lines, cheapest)
        if got is None:
            break
        for i in got:
            gifts[i] = gifts.get(i, 0) + 1
    return gifts


def gift_action(promo: m.Promotion, a: m.GiftAction, lines: list[PartLine], done: list[int]) -> list[int]:
    """FREE_ITEM GIFT: each given unit discounted by percentOff."""
    milli = {i: units * MILLI for i, units in gift_units(a, lines).items()}
    return _per_unit(promo, m.Calc(m.PCT, a.pct), lines, done, milli)


ACTIONS: dict[type, Callable[[m.Promotion, object, list[PartLine], list[int]], list[int]]] = {
    m.UnitAction: unit_action,
    m.ReceiptAction: receipt_action,
    m.ScaledReceiptAction: scaled_receipt_action,
    m.QuantityTierAction: quantity_tier_action,
    m.BundleAction: bundle_action,
    m.GiftAction: gift_action,
}
