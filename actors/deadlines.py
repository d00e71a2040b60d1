"""Request deadlines kept by one task, instead of a cancel scope per request.

A ``trio.fail_after`` per request costs ~15 µs of CPU with hundreds of tasks waiting (entering
and leaving a cancel scope recomputes cancel status), more than the rest of a store call or an
actor message costs on the trio side. Requests here wait on a reply object anyway, so one
keeper task can fail the replies still unanswered at their deadline instead: the requester
wakes up with the error as if the actor had sent it.
"""
from __future__ import annotations

import heapq
import itertools
from typing import Protocol

import trio

TICK_S = 0.05  # while requests are waiting, how often the keeper forgets the answered ones


class Waiter(Protocol):
    """A reply slot the keeper can check and fail."""

    @property
    def settled(self) -> bool:
        """Answered (or already failed): nothing left to do at its deadline."""

    def expire(self) -> None:
        """Fail it: the deadline passed without an answer."""


class Deadlines:
    """Fails every watched waiter still unsettled at its deadline. Run :meth:`run` in a nursery.

    Waiters settle long before their deadline as a rule, so the keeper wakes every TICK_S while
    any are watched, drops the settled ones from the front, and sleeps while none are.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Waiter]] = []
        self._seq = itertools.count()  # ties: no comparison of waiters
        self._kick = trio.Event()
        self._closed = False

    def watch(self, waiter: Waiter, deadline: float) -> None:
        """Expire ``waiter`` at ``deadline`` (trio clock) unless it has settled by then."""
        if not self._heap:
            self._kick.set()
        heapq.heappush(self._heap, (deadline, next(self._seq), waiter))

    def unsettled(self) -> int:
        """Watched waiters not answered yet (the settled ones may still sit in the heap)."""
        return sum(not w.settled for _, _, w in self._heap)

    def close(self) -> None:
        """Let :meth:`run` return once every waiter watched so far has settled or expired."""
        self._closed = True
        self._kick.set()

    async def run(self) -> None:
        """Keep the deadlines until :meth:`close` (and the waiters left then are done) or cancelled."""
        heap = self._heap
        while True:
            now = trio.current_time()
            while heap and (heap[0][2].settled or heap[0][0] <= now):
                _, _, waiter = heapq.heappop(heap)
                if not waiter.settled:
                    waiter.expire()
            if heap:
                await trio.sleep_until(min(heap[0][0], now + TICK_S))
            elif self._closed:
                return
            else:
                self._kick = trio.Event()
                await self._kick.wait()
