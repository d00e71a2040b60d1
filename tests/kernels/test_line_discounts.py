"""kernels.line_discounts: a kernel-priced Result's per-line discounts, made only when read, equal,
hashed and pickled as the reference evaluator's plain tuple."""
from __future__ import annotations

import pickle

from hypothesis import HealthCheck, given, settings

from api.evaluate.iteration import iteration_record
from dre.answer_facts import FactsTable
from dre.evaluate import ReferenceSet
from dre.priced_lines import priced_lines
from dre.pricing import Context
from dre.response import response_body
from kernels import KernelSet
from kernels.line_discounts import LineDiscounts
from tests.builders import basket, item, promo
from tests.strategies import scenario

# equality with the reference is the property tests' (tests/kernels/test_kernel_equivalence.py): here only
# how the stand-in compares, hashes and pickles
FEW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FEW
@given(scenario())
def test_they_stand_for_the_references_tuple_both_ways_and_in_a_results_hash(case):
    promos, b, ctx = case
    got, want = KernelSet(promos).evaluate(b, ctx), ReferenceSet(promos).evaluate(b, ctx)
    assert isinstance(got.lines, LineDiscounts) and isinstance(want.lines, tuple)
    assert got.lines == want.lines and want.lines == got.lines  # tuple == LineDiscounts: reflected
    assert not (got.lines != want.lines)
    assert hash(got.lines) == hash(want.lines)
    if got == want:  # a Result's hash hashes its lines as the tuple they stand for
        assert hash(got) == hash(want)
    assert len(got.lines) == len(b.lines) == len(want.lines)
    assert list(got.lines) == list(want.lines) and got.lines[:] == want.lines[:]
    assert repr(got.lines) == repr(want.lines)
    copied = pickle.loads(pickle.dumps(got.lines))
    assert type(copied) is tuple and copied == want.lines


def test_the_services_answer_and_record_do_not_make_them_and_a_reader_gets_them_once():
    promos = [promo("P1", [{"type": "ARTICLE", "values": ["A"], "percentOff": 10}]),
              promo("P2", [{"type": "ARTICLE", "values": ["B"], "amountOff": 1.00}])]
    ks, ctx = KernelSet(promos), Context()
    b = basket(item("1", "A", 2, 5.00), item("2", "B", 1, 3.00), item("3", "C", 1, 1.00))
    result = ks.evaluate(b, ctx)
    facts = FactsTable(ks.by_id)
    # what evaluate does with a Result (api.evaluate.pricing): the kernels' rows, not these
    lines = priced_lines(b, result, facts, encoded=True)
    body = response_body(b, result, facts, lines=lines)
    iteration_record(b, result, body["totals"], facts, 1, lines=lines)
    assert not result.lines.made
    first = result.lines[0]
    assert result.lines.made and result.lines[0] is first  # made once, then kept
    assert [d.promotion_id for d in first] == ["P1"] and result.lines[2] == ()
