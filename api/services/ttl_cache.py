"""A tiny in-process cache of recent answers, to dampen tight polling loops.

Per worker process, not shared: a poller may see an answer up to ``ttl_s`` old. Bounded: past
``max_entries`` the oldest entries are dropped, so a flood of distinct keys cannot grow memory.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

import trio

V = TypeVar("V")

DEFAULT_TTL_S = 1.0
DEFAULT_MAX_ENTRIES = 10_000


class TTLCache(Generic[V]):
    def __init__(self, ttl_s: float = DEFAULT_TTL_S, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        hit = self._items.get(key)
        if hit is None:
            return None
        if trio.current_time() - hit[0] >= self.ttl_s:
            del self._items[key]
            return None
        return hit[1]

    def put(self, key: Hashable, value: V) -> None:
        self._items.pop(key, None)
        self._items[key] = (trio.current_time(), value)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)
