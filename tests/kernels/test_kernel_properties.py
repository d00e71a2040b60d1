"""Properties of KernelSet beyond equality with the reference: sharding, sums, determinism."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dre.basket import Line
from dre.evaluate import ReferenceSet, evaluate
from dre.evaluate.loyalty import fixed_points
from dre.response import build_response
from kernels import KernelSet
from tests.strategies import scenario

FEW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FEW
@given(scenario(), st.integers(1, 4))
def test_sharded_equals_unsharded_and_reference_candidates(case, n_shards):
    promos, basket, ctx = case
    sharded = KernelSet(promos, n_shards=n_shards)
    reference = ReferenceSet(promos, n_shards=n_shards)
    for s in range(n_shards):
        got = sharded.shard_candidates(s, [sharded.prepare(basket, ctx)])[0]
        want = reference.shard_candidates(s, [reference.prepare(basket, ctx)])[0]
        assert got.dtype == np.int64
        assert got.tolist() == want.tolist()
    assert sharded.evaluate_sharded(basket, ctx) == KernelSet(promos).evaluate(basket, ctx)


@FEW
@given(scenario())
def test_line_amounts_add_up_and_no_sale_line_below_zero(case):
    promos, basket, ctx = case
    result = KernelSet(promos).evaluate(basket, ctx)
    sale_by_promo: dict[str, int] = {}
    for line, discounts in zip(basket.lines, result.lines):
        total = sum(d.amount for d in discounts)
        if line.milli > 0:
            assert 0 <= total <= line.gross
            assert all(d.amount > 0 for d in discounts)
            for d in discounts:
                sale_by_promo[d.promotion_id] = sale_by_promo.get(d.promotion_id, 0) + d.amount
        else:
            assert line.gross <= total <= 0
    for a in result.applied:
        assert a.amount == sale_by_promo.get(a.promotion_id, 0)
    assert set(sale_by_promo) <= {a.promotion_id for a in result.applied if a.on_sale}
    assert result.points == sum(a.points for a in result.applied)


@FEW
@given(scenario())
def test_returning_what_was_sold_nets_to_zero(case):
    """docs/semantics.md "Returns": the return part is priced as its lines sold on their own, negated
    (no coupon is redeemed on a return, so without coupon-gated promotions), but for the fixed
    points awards, which are per transaction."""
    promos, basket, ctx = case
    promos = [p for p in promos if p.coupon_types is None]
    sold = tuple(ln for ln in basket.lines if ln.milli > 0)
    if not sold:
        return
    back = tuple(Line(f"R{k}", ln.article, ln.group, -ln.milli, ln.unit_price, -ln.gross) for k, ln in enumerate(sold))
    result = KernelSet(promos).evaluate(replace(basket, lines=sold + back), ctx)
    n = len(sold)
    for s, r in zip(result.lines[:n], result.lines[n:]):
        assert [(d.promotion_id, -d.amount, d.coupon_code) for d in r] == [
            (d.promotion_id, d.amount, d.coupon_code) for d in s]
    alone = KernelSet(promos).evaluate(replace(basket, lines=sold), ctx)
    by_id = {p.id: p for p in promos}
    # a return does not take back ADD_FIXED / SUBTRACT_POINTS (per transaction): that is what is left
    assert result.points == sum(fixed_points(by_id[a.promotion_id]) for a in alone.applied)
    assert all(a.points == fixed_points(by_id[a.promotion_id]) for a in result.applied)  # per promotion too

    def no_points(r):
        return tuple(a._replace(points=0) for a in r.applied)

    assert (result.lines[:n], no_points(result), result.coupons, result.recommendations, result.granted) == (
        alone.lines, no_points(alone), alone.coupons, alone.recommendations, alone.granted)


@FEW
@given(scenario())
def test_no_coupon_promotion_discounts_a_return_line(case):
    """docs/semantics.md "Returns": a presented code applies to the sale part only."""
    promos, basket, ctx = case
    gated = {p.id for p in promos if p.coupon_types is not None}
    result = KernelSet(promos).evaluate(basket, ctx)
    for ln, ds in zip(basket.lines, result.lines):
        if ln.milli < 0:
            assert not [d for d in ds if d.promotion_id in gated or d.coupon_code is not None]


@FEW
@given(scenario())
def test_response_bytes_identical(case):
    promos, basket, ctx = case
    ks = KernelSet(promos)

    def body(result):
        return orjson.dumps(build_response(basket, result, ks.by_id, transaction_id="t", counter=1,
                                           is_simulation=False))

    first = body(ks.evaluate(basket, ctx))
    assert first == body(ks.evaluate(basket, ctx))
    assert first == body(evaluate(promos, basket, ctx))


# Two or more exclusive promotions competing in every draw (test_strategy_coverage measures how often).
MANY_EXCLUSIVES = scenario(max_size=10, max_exclusive=8, max_lines=5, require=("exclusive",))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MANY_EXCLUSIVES)
def test_best_deal_with_many_exclusives_equals_reference(case):
    promos, basket, ctx = case
    assert KernelSet(promos).evaluate(basket, ctx) == evaluate(promos, basket, ctx)


@FEW
@given(scenario(features=("returns", "stacking", "exclusive")))
def test_points_per_promotion_are_its_sale_points_minus_its_return_points(case):
    """docs/semantics.md "Points of the transaction": one figure per promotion, the total their sum.
    A return part takes back proportional points only: ADD_FIXED / SUBTRACT_POINTS are per
    transaction (docs/semantics.md "Returns")."""
    promos, basket, ctx = case
    ks = KernelSet(promos)
    by_id = {p.id: p for p in promos}
    sold = tuple(ln for ln in basket.lines if ln.milli > 0)
    back = tuple(replace(ln, milli=-ln.milli, gross=-ln.gross) for ln in basket.lines if ln.milli < 0)
    want: dict[str, int] = {}
    for lines, sign in ((sold, 1), (back, -1)):
        if lines:
            # no code is redeemed on the return part: its coupon-gated promotions do not apply there
            part = replace(basket, lines=lines) if sign > 0 else replace(basket, lines=lines, coupons=())
            for a in ks.evaluate(part, ctx).applied:
                pts = a.points if sign > 0 else a.points - fixed_points(by_id[a.promotion_id])
                want[a.promotion_id] = want.get(a.promotion_id, 0) + sign * pts
    result = ks.evaluate(basket, ctx)
    assert {a.promotion_id: a.points for a in result.applied if a.points} == {k: v for k, v in want.items() if v}
    assert result.points == sum(want.values())
