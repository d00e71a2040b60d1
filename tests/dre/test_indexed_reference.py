"""IndexedReferenceSet (the service's pricing while the kernels compile) equals ReferenceSet."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dre.evaluate import IndexedReferenceSet, ReferenceSet
from tests.strategies import scenario

FEW = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FEW
@given(scenario(), st.integers(1, 3))
def test_same_candidates_per_shard_and_same_result(case, n_shards):
    promos, basket, ctx = case
    indexed = IndexedReferenceSet(promos, n_shards=n_shards)
    reference = ReferenceSet(promos, n_shards=n_shards)
    for s in range(n_shards):
        got = indexed.shard_candidates(s, [indexed.prepare(basket, ctx)])[0]
        want = reference.shard_candidates(s, [reference.prepare(basket, ctx)])[0]
        assert got.tolist() == want.tolist()
    assert indexed.evaluate(basket, ctx) == reference.evaluate(basket, ctx)
