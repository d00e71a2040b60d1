"""transactionCounter assignment: atomically in the store, else from a local fallback.

The store's ``next_counter`` script increments the transaction's counter and keeps the priced
iteration for confirm in one atomic step, unless a confirm of the transaction was refused for a
promotion the iteration was priced with (RefusedPromotions: price again without it). While Redis
is unreachable, evaluate still prices: the counter then comes from this process's memory and the
response says ``counterSource: LOCAL`` (such an iteration cannot be confirmed, and its counter is
unique only within this worker).
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection

from actors.store import Store
from dre.errors import DREError

STORE, LOCAL = "STORE", "LOCAL"  # meta.counterSource values
LOCAL_MAX = 100_000  # transactions remembered by the local fallback (oldest forgotten first)


class Counters:
    """Counter source for evaluate. ``store`` None: always local (a store-less test service)."""

    def __init__(self, store: Store | None, ttl_s: float) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._local: OrderedDict[tuple[str, str], int] = OrderedDict()

    async def next(self, tenant: str, transaction_id: str, iteration: str,
                   priced_without: Collection[str] = ()) -> tuple[int, str]:
        """(counter, source) for the next iteration of ``transaction_id``, storing ``iteration``.

        Raises:
            RefusedPromotions: the store holds refusals not in ``priced_without`` (nothing issued).
            DREError: only for non-availability failures of the store (a bug).
        """
        if self._store is not None:
            try:
                return await self._store.next_counter(tenant, transaction_id, iteration, self._ttl_s,
                                                      priced_without), STORE
            except DREError as err:
                if err.status != 503:
                    raise
        return self._next_local(tenant, transaction_id), LOCAL

    def _next_local(self, tenant: str, transaction_id: str) -> int:
        key = (tenant, transaction_id)
        n = self._local.pop(key, 0) + 1
        self._local[key] = n
        if len(self._local) > LOCAL_MAX:
            self._local.popitem(last=False)
        return n
