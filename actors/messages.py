"""Request/reply plumbing shared by the actors: reply slots, batching, the pricing loop.

Mailboxes themselves come from :func:`actors.kit.mailbox`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import trio

T = TypeVar("T")


class Gather(Generic[T]):
    """``n`` replies to one request (one per shard), filled in any order by the actors.

    The requester awaits :meth:`wait`; each actor calls :meth:`put` or :meth:`fail` exactly once
    for its slot. The first failure wakes the requester at once (no waiting for the others).
    Everything runs on the trio thread, so no locking is needed.
    """

    __slots__ = ("values", "_left", "_error", "_done", "_on_expiry")

    def __init__(self, n: int, on_expiry: Callable[[], BaseException] | None = None) -> None:
        self.values: list[Any] = [None] * n
        self._left = n
        self._error: BaseException | None = None
        self._done = trio.Event()
        self._on_expiry = on_expiry  # the error at its deadline (actors.deadlines)

    def put(self, slot: int, value: T) -> None:
        self.values[slot] = value
        self._left -= 1
        if self._left == 0:
            self._done.set()

    def fail(self, error: BaseException) -> None:
        if self._error is None:
            self._error = error
        self._done.set()

    @property
    def answered(self) -> bool:
        return self._done.is_set()

    settled = answered  # as actors.deadlines.Waiter

    def expire(self) -> None:
        """Fail with ``on_expiry()``: the deadline passed before every actor answered."""
        self.fail(self._on_expiry() if self._on_expiry else engine_unavailable("no answer in time"))

    async def wait(self) -> list[T]:
        """All ``n`` values in slot order. Raises the first error an actor reported.

        Expiry or cancellation: the actors may still answer later; their answers land in this
        object and are dropped with it.
        """
        await self._done.wait()
        if self._error is not None:
            raise self._error
        return self.values


ENGINE_UNAVAILABLE = "ENGINE_UNAVAILABLE"  # error code: pricing failed or timed out; retry


def engine_unavailable(message: str) -> "DREError":
    """The 503 a request gets when its pricing actor crashed or did not answer in time.

    503 rather than 500: the request was fine, the actor is restarted, a retry will succeed.
    """
    from dre.errors import DREError

    return DREError(503, ENGINE_UNAVAILABLE, message)


def drain(first: T, receive: trio.MemoryReceiveChannel, max_batch: int) -> list[T]:
    """``first`` plus whatever is already waiting in ``receive``, up to ``max_batch`` items.

    Never waits: the batch is what arrived while the actor was busy, so a lone request is priced
    at once and a burst is priced in few calls.
    """
    batch = [first]
    while len(batch) < max_batch:
        try:
            batch.append(receive.receive_nowait())
        except (trio.WouldBlock, trio.EndOfChannel):
            break
    return batch


INLINE_MAX = 8  # a group of at most this many baskets is priced on the event loop: a thread hop
# (thread wake-up, trio wake-up, GIL hand-offs) costs more than pricing a few baskets (~0.1 ms
# each); a bigger group goes to a thread, so the loop keeps serving while the kernel runs.


def group_by_set(batch: list) -> list[list]:
    """Split a batch by the promotion set its messages carry (identity), keeping order.

    A swap between two requests of one batch gives two groups: each request is priced with the
    set it started with.
    """
    groups: dict[int, list] = {}
    for msg in batch:
        groups.setdefault(id(msg.pset), []).append(msg)
    return list(groups.values())


async def serve_batches(receive: trio.MemoryReceiveChannel, limiter: trio.CapacityLimiter, max_batch: int,
                        price: Callable[[list], list], answer: Callable[[Any, Any], None], who: str,
                        observe: Callable[[str, int], None] | None = None) -> None:
    """The loop every pricing actor runs: drain what waits, price each promotion set's group in
    one call (on the loop, or in one thread hop for a big group, see INLINE_MAX), answer each job.

    Args:
        price: ``price(group) -> results`` (one result per job; thread-safe: it may run in a
            worker thread).
        answer: ``answer(job, result)``, on the event loop.
        who: names the actor in the 503 its requests get when pricing raises, and in ``observe``.
    Raises: whatever ``price`` raised, after failing every unanswered job of the batch with a 503
        (a crash, for the supervisor to restart the actor).
    """
    async for first in receive:
        batch = drain(first, receive, max_batch)
        if observe:
            observe(who.split()[0], len(batch))
        groups = group_by_set(batch)
        for i, group in enumerate(groups):
            try:
                if len(group) <= INLINE_MAX:
                    results = price(group)
                else:
                    results = await trio.to_thread.run_sync(price, group, limiter=limiter)
            except Exception:
                err = engine_unavailable(f"pricing failed in the {who}; it is being restarted, retry")
                for pending in groups[i:]:  # earlier groups were answered already
                    for job in pending:
                        job.reply.fail(err)
                raise
            for job, result in zip(group, results):
                answer(job, result)
