"""The best-deal bounds (nodes, work): a pathological basket reaches them and still gets a valid choice,
the best found, flagged as not exact."""
from __future__ import annotations

from datetime import datetime, timezone

from dre.basket import Basket, Line
from dre.evaluate import evaluate
from dre.pricing import Context
from dre.promotion import model as m
from kernels import BEST_DEAL_NODE_LIMIT, BEST_DEAL_WORK_LIMIT, KernelSet


def exclusive(pid: str, articles: set[str], pct: int, max_milli: int | None = None) -> m.Promotion:
    return m.Promotion(
        id=pid, name=pid, type="ARTICLE", active=True, valid_from=None, valid_to=None, window=None,
        pos_groups=None, priority=0, exclusive=True, multiplicative=False, rounding_mode=0,
        rounding_step=1, budget=None, article_conds=(), min_quantity=None, min_spend=(),
        context_conds=(), coupon_types=None, time_conds=(),
        price_actions=(m.UnitAction(False, frozenset(articles), m.Calc(m.PCT, pct), max_milli),),
        injects=(), points=())


def chain(n: int) -> tuple[list[m.Promotion], Basket]:
    """n exclusives on a path of lines: E_i touches lines i and i+1, so every choice is an
    independent set of the path; in rank order the search tree grows like Fibonacci(n)."""
    promos = [exclusive(f"E{i:02d}", {f"A{i}", f"A{i + 1}"}, 1000 + 37 * (i % 7)) for i in range(n)]
    lines = tuple(Line(f"L{i}", f"A{i}", "", 1000, 1000 + i, 1000 + i) for i in range(n + 1))
    return promos, Basket(lines, datetime(2026, 1, 5, tzinfo=timezone.utc), "", "POS")


def overlapping(n_promos: int = 20, n_lines: int = 30, width: int = 11) -> tuple[list[m.Promotion], Basket]:
    """The issue's pathological basket (bench/isolation.py builds the same through the API): n
    exclusives, E_i on articles i .. i+width-1 (mod n_lines), one unit each (the dearest). Their
    reaches overlap, so the search never splits them into independent groups; their touched lines
    (one each) do not, so no choice rules out another: 2^n choices without a bound."""
    promos = [exclusive(f"E{i:02d}", {f"A{(i + j) % n_lines}" for j in range(width)}, 500 + (i * 700) % 3100, 1000)
              for i in range(n_promos)]
    lines = tuple(Line(f"L{i}", f"A{i}", "G", 1000, 1000 + 10 * i, 1000 + 10 * i) for i in range(n_lines))
    return promos, Basket(lines, datetime(2026, 1, 5, tzinfo=timezone.utc), "", "POS")


def check_valid(promos: list[m.Promotion], basket: Basket, result) -> None:
    lines_of: dict[str, set[int]] = {}
    for i, (line, discounts) in enumerate(zip(basket.lines, result.lines)):
        assert sum(d.amount for d in discounts) <= line.gross  # the sale line stays >= 0
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
    result = ks.evaluate(basket, Context())
    assert result == evaluate(promos, basket, Context()) and result.exact
    assert 0 < ks.last_nodes < BEST_DEAL_NODE_LIMIT


def test_pathological_chain_reaches_the_bound_and_stays_valid():
    promos, basket = chain(40)  # Fibonacci(40) ~ 1e8 nodes without the bound
    ks = KernelSet(promos)
    result = ks.evaluate(basket, Context())
    assert not result.exact
    check_valid(promos, basket, result)
    # The choice is maximal: every exclusive left out shares a line with one taken.
    taken = {i for i, ds in enumerate(result.lines) if ds}
    chosen_ids = {a.promotion_id for a in result.applied}
    for i, p in enumerate(promos):
        if p.id not in chosen_ids:
            assert {i, i + 1} & taken


def test_the_work_bound_stops_a_search_the_node_bound_would_let_run():
    """20 exclusives over 30 lines: the node bound alone (65,536 nodes) took 0.4-0.9 s of one
    core; the work bound stops the search after a few thousand nodes, with the best choice found."""
    promos, basket = overlapping()
    ks = KernelSet(promos)
    result = ks.evaluate(basket, Context())
    assert not result.exact
    assert 0 < ks.last_nodes < BEST_DEAL_NODE_LIMIT // 8
    check_valid(promos, basket, result)
    # Nothing rules a promotion out here, so the best choice takes them all: so does the one found.
    assert {a.promotion_id for a in result.applied} == {p.id for p in promos}
    assert ks.evaluate(basket, Context()) == result  # deterministic: work is counted, not timed


def test_a_smaller_work_limit_still_gives_a_valid_deal():
    """The actors' light pass (actors.messages.LIGHT_WORK_LIMIT) asks for a tighter bound: still a
    valid choice, flagged; a bound above the set's own is capped at it."""
    promos, basket = chain(24)
    ks = KernelSet(promos)
    full = ks.evaluate(basket, Context())
    small = ks.evaluate(basket, Context(), work_limit=20_000)
    assert not small.exact
    check_valid(promos, basket, small)
    assert sum(d.amount for ds in small.lines for d in ds) > 0
    assert ks.evaluate(basket, Context(), work_limit=10 * BEST_DEAL_WORK_LIMIT) == full


def test_below_both_bounds_the_answer_is_exact_and_the_reference_one():
    promos, basket = overlapping(n_promos=8, n_lines=12, width=5)  # 2^8 choices: far below the bounds
    ks = KernelSet(promos)
    result = ks.evaluate(basket, Context())
    assert result.exact and result == evaluate(promos, basket, Context())
