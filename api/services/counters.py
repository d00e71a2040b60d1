"""transactionCounter assignment: atomically in the store, else from a local fallback.

The store's ``next_counter`` script increments the transaction's counter and keeps the priced
iteration for confirm in one atomic step, unless a confirm of the transaction was refused for a
promotion the iteration was priced with (RefusedPromotions: price again without it). While Redis
is unreachable, evaluate still prices: the counter then comes from this process's memory and the
response says ``counterSource: LOCAL``. Such an iteration cannot be confirmed, and its counter must
never be mistaken for one the store issued (a confirm of it would commit the store's iteration of
that number, another basket): LOCAL counters lie in their own range, above every store counter,
tagged with a random number drawn once per process so that two workers do not issue the same one.
"""
from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Collection

from actors.store import Store
from dre.errors import DREError

STORE, LOCAL = "STORE", "LOCAL"  # meta.counterSource values
LOCAL_MAX = 100_000  # transactions remembered by the local fallback (oldest forgotten first)
# LOCAL counter = LOCAL_BASE + tag * LOCAL_SPAN + n: 2^40 and above, far beyond any store counter,
# below 2^53 (exact in every JSON client). n < LOCAL_SPAN (2^18 iterations of one transaction).
LOCAL_BASE = 1 << 40
LOCAL_SPAN = 1 << 18
LOCAL_TAGS = 1 << 22  # tags per process: two workers share one with odds of 1 in 4 million


def is_local_counter(counter: int) -> bool:
    """Was ``counter`` issued by a LOCAL fallback (never by the store)?"""
    return counter >= LOCAL_BASE


class Counters:
    """Counter source for evaluate (always local with an UnavailableStore: a store-less test service)."""

    def __init__(self, store: Store, ttl_s: float) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._local: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._local_base = LOCAL_BASE + secrets.randbelow(LOCAL_TAGS) * LOCAL_SPAN  # this process's range

    async def next(self, tenant: str, transaction_id: str, iteration: str | bytes,
                   priced_without: Collection[str] = ()) -> tuple[int, str]:
        """(counter, source) for the next iteration of ``transaction_id``, storing ``iteration`` (JSON;
        bytes go to Redis as they are: evaluate's 20-30 KB record is not decoded and encoded again).

        Raises:
            RefusedPromotions: the store holds refusals not in ``priced_without`` (nothing issued).
            DREError: only for non-availability failures of the store (a bug).
        """
        try:
            return await self._store.transactions.next_counter(tenant, transaction_id, iteration, self._ttl_s,
                                                               priced_without), STORE
        except DREError as err:
            if err.status != 503:
                raise
        return self._next_local(tenant, transaction_id), LOCAL

    def _next_local(self, tenant: str, transaction_id: str) -> int:
        key = (tenant, transaction_id)
        n = min(self._local.pop(key, 0) + 1, LOCAL_SPAN - 1)  # stays in this process's range
        self._local[key] = n
        if len(self._local) > LOCAL_MAX:
            self._local.popitem(last=False)
        return self._local_base + n
