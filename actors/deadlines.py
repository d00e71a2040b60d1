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
import math
from collections import deque
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

    The usual watcher gives every request the same timeout (the store actor's), so deadlines come
    in order: those go to a queue (an append and a pop from its front, ~0.3 µs a request less than
    a heap's push and pop among hundreds), and only one earlier than the last queued to a heap.
    """

    def __init__(self) -> None:
        self._queue: deque[tuple[float, Waiter]] = deque()  # deadlines in watch order, rising
        self._heap: list[tuple[float, int, Waiter]] = []  # the others
        self._seq = itertools.count()  # ties: no comparison of waiters
        self._kick = trio.Event()
        self._closed = False

    def watch(self, waiter: Waiter, deadline: float) -> None:
        """Expire ``waiter`` at ``deadline`` (trio clock) unless it has settled by then."""
        queue = self._queue
        if not queue and not self._heap:
            self._kick.set()
        if not queue or deadline >= queue[-1][0]:
            queue.append((deadline, waiter))
        else:
            heapq.heappush(self._heap, (deadline, next(self._seq), waiter))

    def unsettled(self) -> int:
        """Watched waiters not answered yet (the settled ones may still sit in the queue or heap)."""
        return sum(not w.settled for _, w in self._queue) + sum(not w.settled for _, _, w in self._heap)

    def close(self) -> None:
        """Let :meth:`run` return once every waiter watched so far has settled or expired."""
        self._closed = True
        self._kick.set()

    async def run(self) -> None:
        """Keep the deadlines until :meth:`close` (and the waiters left then are done) or cancelled."""
        queue, heap = self._queue, self._heap
        while True:
            now = trio.current_time()
            while queue and (queue[0][1].settled or queue[0][0] <= now):
                _, waiter = queue.popleft()
                if not waiter.settled:
                    waiter.expire()
            while heap and (heap[0][2].settled or heap[0][0] <= now):
                _, _, waiter = heapq.heappop(heap)
                if not waiter.settled:
                    waiter.expire()
            if queue or heap:
                first = min(queue[0][0] if queue else math.inf, heap[0][0] if heap else math.inf)
                await trio.sleep_until(min(first, now + TICK_S))
            elif self._closed:
                return
            else:
                self._kick = trio.Event()
                await self._kick.wait()
