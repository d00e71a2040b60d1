"""price_batch: one parallel call over many baskets equals KernelSet.evaluate basket by basket."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernels import KernelSet, encode_batch, price_batch
from kernels.batch import BATCH_CHUNK
from tests.strategies import batch


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch())
def test_batch_totals_equal_per_basket_evaluate(case):
    promos, cases = case
    ks = KernelSet(promos)
    baskets = [b for b, _ in cases]
    ctxs = [c for _, c in cases]
    exhausted = ks.exhausted_flags(ctxs[0].exhausted)  # one set for the batch (the strategy shares it)
    res = price_batch(ks.tables, **encode_batch(ks, baskets, ctxs), exhausted=exhausted)
    assert res.promo_off.shape == (len(baskets) + 1,)
    for b, (basket, ctx) in enumerate(cases):
        result = ks.evaluate(basket, ctx)
        by_promo: dict[str, int] = {}
        for discounts in result.lines:
            for d in discounts:
                by_promo[d.promotion_id] = by_promo.get(d.promotion_id, 0) + d.amount
        want = {pid: a for pid, a in by_promo.items() if a}
        s, e = res.promo_off[b], res.promo_off[b + 1]
        got = {ks.ranked[p].id: a for p, a in zip(res.promo[s:e].tolist(), res.amount[s:e].tolist()) if a}
        assert got == want
        points = {ks.ranked[p].id: q for p, q in zip(res.promo[s:e].tolist(), res.promo_points[s:e].tolist()) if q}
        assert points == {a.promotion_id: a.points for a in result.applied if a.points}
        assert res.discount[b] == sum(by_promo.values())
        assert res.gross[b] == sum(ln.gross for ln in basket.lines)
        assert res.points[b] == result.points


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch(), st.randoms(use_true_random=False))
def test_batch_reusing_scratch_over_chunks_equals_each_basket_alone(case, rnd):
    """A batch longer than several chunks (kernels.batch.BATCH_CHUNK baskets share one scratch,
    grown for the largest), baskets shuffled so large and small ones follow each other, gives each
    basket what price_batch gives it alone (a fresh scratch)."""
    promos, cases = case
    ks = KernelSet(promos)
    exhausted = ks.exhausted_flags(cases[0][1].exhausted)
    alone = []
    for basket, ctx in cases:
        r = price_batch(ks.tables, **encode_batch(ks, [basket], [ctx]), exhausted=exhausted)
        alone.append((r.promo.tolist(), r.amount.tolist(), r.promo_points.tolist(), int(r.gross[0]),
                      int(r.discount[0]), int(r.points[0])))
    order = [rnd.randrange(len(cases)) for _ in range(3 * BATCH_CHUNK + 5)]
    res = price_batch(ks.tables, **encode_batch(ks, [cases[i][0] for i in order], [cases[i][1] for i in order]),
                      exhausted=exhausted)
    for b, i in enumerate(order):
        s, e = res.promo_off[b], res.promo_off[b + 1]
        got = (res.promo[s:e].tolist(), res.amount[s:e].tolist(), res.promo_points[s:e].tolist(), int(res.gross[b]),
               int(res.discount[b]), int(res.points[b]))
        assert got == alone[i]
