"""LOCAL counters (store unreachable) can never be taken for a store counter, nor repeat across workers."""
from __future__ import annotations

from actors.store import UnavailableStore
from api.services.counters import LOCAL, LOCAL_BASE, Counters, is_local_counter


async def test_local_counters_lie_above_every_store_counter_and_differ_between_workers():
    worker_a, worker_b = Counters(UnavailableStore(), 60), Counters(UnavailableStore(), 60)  # the fallback only
    a = [await worker_a.next("acme", "T1", "{}") for _ in range(3)]
    b = [await worker_b.next("acme", "T1", "{}") for _ in range(3)]
    assert {source for _, source in a + b} == {LOCAL}
    assert all(c >= LOCAL_BASE and is_local_counter(c) for c, _ in a + b)
    assert [c for c, _ in a] == [a[0][0], a[0][0] + 1, a[0][0] + 2]  # still one per iteration
    assert not {c for c, _ in a} & {c for c, _ in b}  # two workers, one transaction: no shared number
    assert all(c < 2**53 for c, _ in a + b)  # exact in every JSON client
    assert not is_local_counter(1) and not is_local_counter(10**9)
