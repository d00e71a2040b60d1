"""The best-deal node bound: a pathological basket reaches it and still gets a valid choice."""
from __future__ import annotations

from datetime import datetime, timezone

from dre.basket import Basket, Line
from dre.evaluate import evaluate
from dre.pricing import Context
from dre.promotion import model as m
from kernels import BEST_DEAL_NODE_LIMIT, KernelSet


def exclusive(pid: str, articles: set[str], pct: int) -> m.Promotion:
    return m.Promotion(
        id=pid, name=pid, type="ARTICLE", active=True, valid_from=None, valid_to=None, window=None,
        pos_groups=None, priority=0, exclusive=True, multiplicative=False, rounding_mode=0,
        rounding_step=1, budget=None, article_conds=(), min_quantity=None, min_spend=(),
        context_conds=(), coupon_types=None, time_conds=(),
        price_actions=(m.UnitAction(False, frozenset(articles), m.Calc(m.PCT, pct), None),),
        injects=(), points=())


def chain(n: int) -> tuple[list[m.Promotion], Basket]:
    """n exclusives on a path of lines: E_i touches lines i and i+1, so every choice is an
    independent set of the path; in rank order the search tree grows like Fibonacci(n)."""
    promos = [exclusive(f"E{i:02d}", {f"A{i}", f"A{i + 1}"}, 1000 + 37 * (i % 7)) for i in range(n)]
    lines = tuple(Line(f"L{i}", f"A{i}", "", 1000, 1000 + i, 1000 + i) for i in range(n + 1))
    return promos, Basket(lines, datetime(2026, 1, 5, tzinfo=timezone.utc), "", "POS")


def check_valid(promos: list[m.Promotion], basket: Basket, result) -> None:
    lines_of: dict[str, set[int]] = {}
    for i, (line, discounts) in enumerate(zip(basket.lines, result.lines)):
        assert sum(d.amount for d in discounts) <= line.gross
        for d in discounts:
            assert d.amount > 0
            lines_of.setdefault(d.promotion_id, set()).add(i)
    chosen = list(lines_of.values())
    for a in range(len(chosen)):
        for b in range(a + 1, len(chosen)):
            assert not chosen[a] & chosen[b], "exclusive promotions share a line"
    for a in result.applied:
        assert a.amount == sum(d.amount for ds in result.lines for d in ds if d.promotion_id == a.promotion_id)


def test_small_chain_equals_reference_below_the_bound():
    promos, basket = chain(10)
    ks = KernelSet(promos)
    assert ks.evaluate(basket, Context()) == evaluate(promos, basket, Context())
    assert 0 < ks.last_nodes < BEST_DEAL_NODE_LIMIT


def test_pathological_chain_reaches_the_bound_and_stays_valid():
    promos, basket = chain(40)  # Fibonacci(40) ~ 1e8 nodes without the bound
    ks = KernelSet(promos)
    result = ks.evaluate(basket, Context())
    assert ks.last_nodes > BEST_DEAL_NODE_LIMIT
    check_valid(promos, basket, result)
    # The choice is maximal: every exclusive left out shares a line with one taken.
    taken = {i for i, ds in enumerate(result.lines) if ds}
    chosen_ids = {a.promotion_id for a in result.applied}
    for i, p in enumerate(promos):
        if p.id not in chosen_ids:
            assert {i, i + 1} & taken
