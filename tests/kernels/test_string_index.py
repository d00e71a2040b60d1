"""kernels.string_index: a large set's line ids, exactly the vocabulary dict's."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import kernels.promotion_set as ps
import kernels.string_index as si
from dre.evaluate import evaluate
from kernels import KernelSet
from tests.strategies import scenario

# Few characters, so that keys often equal or nearly equal vocabulary strings; multi-byte, astral
# and lone-surrogate characters; lengths across the 16 bytes a table row holds.
CHARS = st.sampled_from(["a", "b", "0", "é", "€", "😀", "\ud800", " "])
STRINGS = st.text(CHARS, max_size=24)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STRINGS, unique=True, max_size=60), st.lists(STRINGS, min_size=1, max_size=12), st.data())
def test_ids_equal_the_dicts(vocab, others, data):
    ids = {s: i for i, s in enumerate(vocab)}
    hits = data.draw(st.lists(st.sampled_from(vocab), max_size=12)) if vocab else []
    keys = data.draw(st.permutations(others + hits))
    if len(keys) % 2:
        keys.append("")
    n = len(keys) // 2  # as encode asks: n articles, then n groups
    out = np.full((5, n), 7, dtype=np.int64)
    assert si.StringIndex(ids).ids_into(keys, out)
    assert out[:2].ravel().tolist() == [ids.get(k, -1) for k in keys]
    assert (out[2:] == 7).all()  # the other rows untouched


def test_a_key_with_a_nul_is_left_to_the_dict():
    out = np.zeros((5, 1), dtype=np.int64)
    assert not si.StringIndex({"a\0b": 0, "x": 1}).ids_into(["a\0b", "x"], out)
    assert (out == 0).all()


def test_long_strings_differing_after_the_row_prefix():
    base = "0123456789abcdef"  # exactly the 16 bytes a row holds
    ids = {base + "x": 0, base + "y": 1, base: 2, base + "xy": 3}
    out = np.empty((1, 6), dtype=np.int64)
    assert si.StringIndex(ids).ids_into([base + "x", base + "y", base, base + "xy", base + "z", base[:-1]], out)
    assert out.tolist() == [[0, 1, 2, 3, -1, -1]]


def test_ids_must_number_the_strings():
    with pytest.raises(ValueError):
        si.StringIndex({"a": 1})


def test_small_vocabularies_keep_the_dict():
    assert si.string_index({"a": 0}) is None
    assert isinstance(si.string_index({str(i): i for i in range(si.MIN_STRINGS)}), si.StringIndex)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_kernel_set_through_the_index_equals_reference(monkeypatch_module, case):
    """The property test of test_kernel_equivalence with every set's line ids from a StringIndex,
    in one call and through the shards."""
    note(case)
    promos, basket, ctx = case
    ks = KernelSet(promos, n_shards=2)
    assert ks._strings is not None
    expected = evaluate(promos, basket, ctx)
    assert ks.evaluate(basket, ctx) == expected
    assert ks.evaluate_sharded(basket, ctx) == expected  # prepare -> shard candidates -> resolve


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    mp.setattr(ps, "string_index", si.StringIndex)  # whatever the set's size
    yield mp
    mp.undo()


def test_a_large_set_prices_through_the_index_as_the_reference():
    """A set past MIN_STRINGS takes the index in production (no patching): the same Result."""
    from datetime import datetime, timezone

    from dre.basket import Basket, Line, line_gross
    from dre.pricing import Context
    from dre.promotion import model as m

    def promo(i: int) -> m.Promotion:
        arts = frozenset({f"A{2 * i}", f"A{2 * i + 1}"})
        return m.Promotion(
            id=f"P{i}", name=f"P{i}", type="ARTICLE", active=True, valid_from=None, valid_to=None, window=None,
            pos_groups=None, priority=i % 7, exclusive=False, multiplicative=False, rounding_mode=0,
            rounding_step=1, budget=None, article_conds=(m.ArticleCond(False, arts),), min_quantity=None,
            min_spend=(), context_conds=(), coupon_types=None, time_conds=(),
            price_actions=(m.UnitAction(False, arts, m.Calc(m.PCT, 1000 + i % 5 * 500), None),), injects=(),
            points=())

    promos = [promo(i) for i in range(si.MIN_STRINGS // 2 + 8)]
    ks = KernelSet(promos)
    assert isinstance(ks._strings, si.StringIndex)
    articles = ["A0", "A5", f"A{si.MIN_STRINGS + 15}", "A99999999", "é", "A0123456789abcdefA3"]
    lines = tuple(Line(f"L{k}", a, "A7" if k % 2 else "G", 1000 * (k + 1), 199, line_gross(199, 1000 * (k + 1)))
                  for k, a in enumerate(articles))
    basket = Basket(lines, datetime(2026, 1, 5, 12, tzinfo=timezone.utc), "POS", "POS")
    got = ks.evaluate(basket, Context())
    assert got == evaluate(promos, basket, Context())
    assert sum(1 for ds in got.lines if ds) == 3  # A0, A5 and the last promotion's article
