"""What the mixins need from the actor core (for type checkers; StoreCore provides it)."""
from __future__ import annotations

from typing import Any, Callable, Protocol, Sequence, TypeVar

from redis.client import Pipeline
from redis.commands.core import Script

from dre.store.scripts import Scripts

T = TypeVar("T")

DAY_S = 24 * 3600
TXN_TTL_S = DAY_S  # priced iterations and confirm markers are kept a day (confirm replay window)


class CallsStore(Protocol):
    scripts: Scripts

    async def call(self, enqueue: Callable[[Pipeline], Any], parse: Callable[[Any], T] | None = None) -> T: ...

    async def call_script(
        self, script: Script, keys: Sequence[str], args: Sequence[Any], parse: Callable[[Any], T] | None = None
    ) -> T: ...


def ms(seconds: float) -> int:
    return int(seconds * 1000)
