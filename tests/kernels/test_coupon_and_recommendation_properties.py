"""couponResults and recommendations hold their invariants, derived here from the basket and the rules.

The kernels build both with the reference's code (dre.pricing.coupons, dre.pricing.messages), so
test_kernel_equivalence cannot see a mistake in them. These properties re-derive what the result
must say from the request and the promotions alone (docs/semantics.md), without that code.
"""
from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings

from dre.evaluate import evaluate
from dre.pricing import USABLE
from kernels import KernelSet
from tests.strategies import scenario

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

STATUS_TEXT = {  # written out by hand, not imported
    "APPLIED": "coupon applied",
    "NOT_APPLICABLE": "coupon valid, but no promotion of it applies to this basket",
    "INVALID": "unknown coupon code",
    "NOT_ACTIVE": "coupon is not active",
    "EXPIRED": "coupon has expired",
    "ALREADY_REDEEMED": "coupon was already redeemed",
    "RESERVED_ELSEWHERE": "coupon is reserved by another transaction",
    "LIMIT_REACHED": "coupon redemption limit reached",
}


def unlocking_code(p, basket, ctx) -> str | None:
    """The first presented code, in request order, that is usable and of one of p's coupon types."""
    if p.coupon_types is None:
        return None
    for code in basket.coupons:
        chk = ctx.coupons.get(code)
        if chk is not None and chk.status == USABLE and chk.type_id in p.coupon_types:
            return code
    return None


def expected_text(name: str, missing_amount: int, missing_milli: int) -> str:
    parts = []
    if missing_amount:
        parts.append(f"Spend {Decimal(missing_amount) / 100:.2f} more")
    if missing_milli:
        parts.append(f"buy {(Decimal(missing_milli) / 1000).normalize():f} more")
    text = " and ".join(parts)
    return f"{text[0].upper()}{text[1:]} for {name}"


def gaps(p, basket) -> tuple[int, int]:
    """(missing amount, missing quantity) of p's MIN_SPEND / MIN_QUANTITY on the sale part."""
    sale = [ln for ln in basket.lines if ln.milli > 0]
    if p.article_conds:
        qual = [ln for ln in sale if any((ln.group if c.by_group else ln.article) in c.values
                                         for c in p.article_conds)]
    else:
        qual = sale
    milli = p.min_quantity.milli - sum(ln.milli for ln in qual) if p.min_quantity else 0
    amount = max([s.cents - sum(ln.gross for ln in (sale if s.receipt_scope else qual)) for s in p.min_spend],
                 default=0)
    return max(0, amount), max(0, milli)


def check(promos, basket, ctx, result) -> None:
    by_id = {p.id: p for p in promos}
    # every promotion applied on the sale part and every discount carries the code that unlocked it
    # (None without coupons); one listed for its points on the return part only unlocks nothing
    for a in result.applied:
        if not a.on_sale:
            assert a.coupon_code is None and a.amount == 0 and a.points != 0
            continue
        assert a.coupon_code == unlocking_code(by_id[a.promotion_id], basket, ctx)
        if by_id[a.promotion_id].coupon_types is not None:
            assert a.coupon_code is not None
    for discounts in result.lines:
        for d in discounts:
            assert d.coupon_code == unlocking_code(by_id[d.promotion_id], basket, ctx)
    # one result per presented code, in request order
    assert [c.code for c in result.coupons] == list(basket.coupons)
    for c in result.coupons:
        chk = ctx.coupons.get(c.code)
        used = tuple(a.promotion_id for a in result.applied if a.coupon_code == c.code)
        if chk is None:
            want = "INVALID"
        elif chk.status != USABLE:
            want = chk.status
        else:
            want = "APPLIED" if used else "NOT_APPLICABLE"
        assert c.status == want
        assert c.promotion_ids == (used if want == "APPLIED" else ())
        assert c.message == STATUS_TEXT[want]
    # recommendations: promotions held back only by their thresholds, never applied
    applied = {a.promotion_id for a in result.applied if a.on_sale}
    recs = result.recommendations
    assert len({r.promotion_id for r in recs}) == len(recs)
    assert [(r.missing_amount, r.missing_milli, r.promotion_id) for r in recs] == sorted(
        (r.missing_amount, r.missing_milli, r.promotion_id) for r in recs)
    if recs:
        assert any(ln.milli > 0 for ln in basket.lines)
    for r in recs:
        p = by_id[r.promotion_id]
        assert r.promotion_id not in applied
        assert p.min_quantity is not None or p.min_spend
        assert r.missing_amount >= 0 and r.missing_milli >= 0 and (r.missing_amount or r.missing_milli)
        assert (r.missing_amount, r.missing_milli) == gaps(p, basket)
        assert r.potential_savings >= 0
        assert r.message == expected_text(p.name, r.missing_amount, r.missing_milli)
        if r.missing_amount:
            assert f"{Decimal(r.missing_amount) / 100:.2f}" in r.message


@SETTINGS
@given(scenario())
def test_coupon_results_and_recommendations_follow_from_the_request(case):
    promos, basket, ctx = case
    check(promos, basket, ctx, KernelSet(promos).evaluate(basket, ctx))
    check(promos, basket, ctx, evaluate(promos, basket, ctx))
