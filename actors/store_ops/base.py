"""What every part of the store's API stands on: the core it calls through (a Protocol, for type
checkers: ``actors.store_core.StoreCore`` provides it, and so does the unavailable store's core),
and the base class that holds it."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from redis.client import Pipeline
from redis.commands.core import Script

from dre.store.scripts import Scripts

T = TypeVar("T")

DAY_S = 24 * 3600
TXN_TTL_S = DAY_S  # priced iterations and confirm answers are kept a day (confirm replay window)
# A confirmed transaction's done marker (its counter, ~100 bytes of Redis per transaction) is kept
# as long as a booked loyalty event: a reused transactionId is refused (409), never consumed twice
# nor silently left without its points.
DONE_MARKER_TTL_S = 400 * DAY_S
# Returns are accepted this long after a sale: a confirmed sale's record (what each line got, for
# the linked returns that name it; a few hundred bytes per discounted sale) is kept as long.
RETURN_WINDOW_S = 30 * DAY_S


class CallsStore(Protocol):
    scripts: Scripts

    async def call(self, enqueue: Callable[[Pipeline], Any], parse: Callable[[Any], T] | None = None) -> T: ...

    async def call_script(
        self, script: Script, keys: Sequence[str], args: Sequence[Any], parse: Callable[[Any], T] | None = None,
        journal_as: str | None = None, durable: bool = False,
    ) -> T: ...

    async def call_batched(
        self, script: Script, keys: Sequence[str], args: Sequence[Any], parse: Callable[[Any], T] | None = None,
        durable: bool = False,
    ) -> T: ...

    async def call_group(self, *commands: tuple[Script, Sequence[str], Sequence[Any]] | tuple[str, ...]
                         | Callable[[Pipeline], Any]) -> list[Any]: ...


class StorePart:
    """One part of the store's typed API: the calls about one kind of stored data.

    Args:
        core: the link every call goes through (the store actor's batching core). A part holds
            no state of its own; any number of tasks share it.
    """

    def __init__(self, core: CallsStore) -> None:
        self._core = core


def ms(seconds: float) -> int:
    return int(seconds * 1000)
