"""A start-up set packed for the promotion cache (dre.evaluate.packed_set, dre.promotion.packed):
unpacked, it holds the same promotions in the same order and prices exactly as ReferenceSet, and
it makes a promotion only when something reads it."""
from __future__ import annotations

import pickle
from array import array
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dre.evaluate import IndexedReferenceSet, ReferenceSet
from dre.evaluate.packed_set import pack_set, unpack_set
from dre.promotion import packed as packed_module
from dre.promotion import parse_promotions
from dre.promotion.packed import PackedById, PackedPromotions
from tests.strategies import scenario

FEW = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def round_trip(promos, version=1, n_shards=1) -> IndexedReferenceSet:
    """Through pickle, as the cache stores it."""
    out = unpack_set(pickle.loads(pickle.dumps(pack_set(promos))), version, n_shards)
    assert out is not None
    return out


@FEW
@given(scenario(), st.integers(1, 3))
def test_an_unpacked_set_prices_as_the_reference(case, n_shards):
    promos, basket, ctx = case
    packed = round_trip(promos, 7, n_shards)
    reference = ReferenceSet(promos, 7, n_shards)
    assert (packed.version, packed.n_shards) == (7, n_shards)
    assert list(packed.ranked) == reference.ranked and dict(packed.by_id) == reference.by_id
    for s in range(n_shards):
        got = packed.shard_candidates(s, [packed.prepare(basket, ctx)])[0]
        want = reference.shard_candidates(s, [reference.prepare(basket, ctx)])[0]
        assert got.tolist() == want.tolist()
    assert packed.evaluate(basket, ctx) == reference.evaluate(basket, ctx)
    want_limits = tuple((p.id, p.budget.per_customer) for p in sorted(promos, key=lambda p: p.id)
                        if p.budget is not None and p.budget.per_customer is not None)
    assert packed.per_customer_limits == want_limits


@settings(max_examples=20, deadline=None)
@given(scenario(), st.integers(1, 4))
def test_promotions_are_made_when_first_read(case, group):
    promos, basket, ctx = case
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(packed_module, "GROUP", group)
        packed = round_trip(promos)
    groups = -(-len(promos) // group)
    assert packed.ranked.unread() == groups  # loaded: nothing made yet
    assert packed.evaluate(basket, ctx) == ReferenceSet(promos).evaluate(basket, ctx)
    if promos:
        first = packed.ranked[0]
        assert packed.ranked[0] is first and packed.by_id[first.id] is first  # made once, kept
        assert packed.ranked.unread() < groups


def test_the_packed_sequence_reads_like_a_list():
    promos = sorted(scenario_promotions(), key=lambda p: p.rank)
    packed = PackedPromotions.pack(promos, group=3)
    again = PackedPromotions.from_state(*packed.state())
    assert list(again) == promos and again[-1] == promos[-1] and again[1:3] == promos[1:3]
    assert len(again) == len(promos) and again.unread() == 0
    with pytest.raises(IndexError):
        again[len(promos)]
    by_id = PackedById(again, [p.id for p in promos])
    assert by_id.get("nope") is None and "nope" not in by_id and by_id[promos[2].id] == promos[2]
    with pytest.raises(ValueError):
        PackedPromotions(b"short", array("Q", [10]), 1)
    with pytest.raises(ValueError):
        PackedPromotions(b"short", array("Q", [5]), 40, 32)  # 40 promotions are two groups
    with pytest.raises(ValueError):
        PackedById(again, ["only one"])


@pytest.mark.parametrize("entry", [None, [1, 2], ("packed-set-1", [], b"", b"", ({}, {}, {}, []), ()),
                                   ("packed-set-2", [], b"x", b"", 0, 32, ({}, {}, {}, []), ()),
                                   ("packed-set-2", [], b"", b"", 0, 32, ({}, {}, {}), ())])
def test_anything_else_is_not_a_packed_set(entry):
    assert unpack_set(entry, 1, 1) is None


def scenario_promotions():
    """The example promotions (one of them with a per-customer limit)."""
    return parse_promotions(orjson.loads((Path(__file__).resolve().parents[2] / "examples" / "promotions.json")
                                         .read_bytes()))


def test_the_evaluate_route_takes_the_limits_without_reading_every_promotion():
    from api.evaluate.customer_limits import limited

    promos = scenario_promotions()
    packed = round_trip(promos)
    assert limited(packed) == limited(IndexedReferenceSet(promos))
    assert packed.ranked.unread() == 1
