"""Request/reply plumbing shared by the actors: reply slots, batching, the pricing loop and its
two lanes (light: every basket, with a small best-deal bound; heavy: the few baskets that need more).

Mailboxes themselves come from :func:`actors.kit.mailbox`.
"""
from __future__ import annotations

import functools
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import trio

from dre.pricing.promotion_set import Staged
from dre.pricing.result import Result

T = TypeVar("T")
BatchObserver = Callable[[str, int], None]  # (actor kind, batch size), e.g. a histogram


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


def group_by_set(batch: list) -> list[list]:
    """Split a batch by the promotion set its messages carry (identity), keeping order.

    A swap between two requests of one batch gives two groups: each request is priced with the
    set it started with.
    """
    groups: dict[int, list] = {}
    for msg in batch:
        groups.setdefault(id(msg.pset), []).append(msg)
    return list(groups.values())


LIGHT_WORK_LIMIT = 100_000  # best-deal work units (kernels.config) a basket gets on the light lane:
# ~1 ms of search, far more than an ordinary basket uses (a few exclusive promotions: a few hundred
# search steps at most); a basket cut short by it is priced again on the heavy lane.
LIGHT_THREADS = 2  # threads of each pricing actor's light lane, and batches it prices at once: a
# basket arriving while one batch is priced gets the other thread
HEAVY_QUEUE = 16  # baskets waiting for the heavy lane (per engine); one more gets a 503 at once: at
# ~15 ms per heavy basket (more on a busy machine), more would wait past a request's deadline anyway


@dataclass(eq=False)
class Spilled:
    """A job whose light pricing stopped at LIGHT_WORK_LIMIT, for the heavy lane.

    ``stage()``: its pricing with the set's full bound, in steps (dre.pricing.Staged; thread-safe,
    runs in a worker thread); ``answer(result)`` delivers the result, on the event loop.
    """

    job: Any  # has .reply (a Gather)
    stage: Callable[[], Staged]
    answer: Callable[[Any], None]


def cut_short(result: object) -> bool:
    """A light pass stopped this basket's best-deal search at its bound (``Result.exact`` False)."""
    return isinstance(result, Result) and not result.exact


async def serve_batches(receive: trio.MemoryReceiveChannel, threads: OwnThreads, max_batch: int,
                        price: Callable[[list, int | None], list], answer: Callable[[Any, Any], None], who: str,
                        observe: BatchObserver | None = None, heavy: trio.MemorySendChannel | None = None,
                        stage: Callable[[Any], Staged] | None = None, in_flight: int = LIGHT_THREADS) -> None:
    """The loop every pricing actor runs: drain what waits, price each promotion set's group on one
    of ``threads`` (the actor's light lane), answer each job. The event loop never prices: it keeps
    serving every other request meanwhile.

    Up to ``in_flight`` batches are priced at once (the groups of one batch at once too): a basket
    that arrives while another batch is being priced is drained into a batch of its own and priced
    on the other thread, instead of waiting for that batch.

    With a ``heavy`` lane, a group is priced with the best-deal search bounded by LIGHT_WORK_LIMIT;
    the jobs whose Result was cut short by it go to the heavy lane (:func:`serve_heavy`), which
    prices them again with the full bound on a thread of its own. So a pathological basket holds
    a thread of this actor for at most the light bound, and another tenant's basket is not kept
    waiting behind its search.

    Args:
        price: ``price(group, work_limit) -> results`` (one result per job, in order; runs in a
            worker thread). ``work_limit`` None: the set's full bound.
        answer: ``answer(job, result)``, on the event loop.
        who: names the actor in the 503 its requests get when pricing raises, and in ``observe``.
        heavy: the heavy lane's send end (this actor's clone; the caller closes it), or None:
            every basket is priced here with the full bound.
        stage: ``stage(job)``: the job's pricing with the full bound in steps (the heavy lane's
            work); needed with ``heavy``.
    Raises: whatever ``price`` raised (a crash, for the supervisor to restart the actor): no batch
        is taken after it, the ones in flight are answered, then the jobs of the group that raised
        are failed with a 503 (as the exception leaves, so the restart is counted when they wake).
    """
    if heavy is not None and stage is None:
        raise ValueError("a heavy lane needs stage(job)")
    light = None if heavy is None else LIGHT_WORK_LIMIT
    crashed: list[tuple[Exception, list]] = []  # (what price raised, the group it raised for)
    slots = trio.Semaphore(in_flight)
    intake = trio.CancelScope()  # cancelled by a crash: take no more batches

    async def price_group(group: list) -> None:
        try:
            results = await threads.run(price, group, light)
        except Exception as exc:
            crashed.append((exc, group))
            intake.cancel()
            return
        for job, result in zip(group, results):
            if heavy is not None and cut_short(result):
                spilled = Spilled(job, functools.partial(stage, job), functools.partial(answer, job))
                try:
                    heavy.send_nowait(spilled)
                except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
                    job.reply.fail(engine_unavailable("too many baskets need a long best-deal search "
                                                      "right now; retry"))
            else:
                answer(job, result)

    async def price_batch(groups: list[list]) -> None:
        try:
            if len(groups) == 1:
                await price_group(groups[0])
            else:
                async with trio.open_nursery() as nursery:
                    for group in groups:
                        nursery.start_soon(price_group, group)
        finally:
            slots.release()

    async with trio.open_nursery() as nursery:  # ends when every batch in flight is answered
        with intake:
            while True:
                await slots.acquire()  # a batch is what arrived while the slots were taken
                try:
                    first = await receive.receive()
                except trio.EndOfChannel:
                    break
                batch = drain(first, receive, max_batch)
                if observe:
                    observe(who.split()[0], len(batch))
                nursery.start_soon(price_batch, group_by_set(batch))
    if crashed:
        err = engine_unavailable(f"pricing failed in the {who}; it is being restarted, retry")
        for _, group in crashed:
            for job in group:
                job.reply.fail(err)
        raise crashed[0][0]


HEAVY_NICE = 10  # the heavy lane's threads run at this (Linux) nice value, a tenth of the CPU weight
# of the event loop's thread: when the cores are short, the loop and the light lane run first and
# a heavy basket waits (bench/isolation.py: without it, the heavy thread took a core the loop
# needed and another tenant's p99 went from ~16 ms to ~0.5 s on two shared cores; with it, ~20 ms)


class OwnThreads:
    """``count`` OS threads of their own that run the functions handed to :meth:`run`, each by
    whichever thread is free (more at once wait their turn), at scheduling priority ``nice``.

    Not trio's thread cache (``trio.to_thread``): a hop to one of these costs about half as much
    (a queue put and one wake-up each way; measured 105 vs 190 µs of CPU on two busy cores), and a
    lowered priority stays with these threads, where a cached thread would carry it into any
    other ``to_thread`` call (and an unprivileged process cannot raise it back). Where the
    priority cannot be changed (not Linux, or not allowed) the threads run at the normal one.

    ``with OwnThreads(...) as threads:`` starts them; leaving the block lets each end after the
    function it is running (daemons: they do not hold up the interpreter's exit).
    """

    def __init__(self, name: str, count: int = 1, nice: int = 0) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._serve, args=(nice,), name=f"{name}-{i}", daemon=True)
                         for i in range(count)]

    def __enter__(self) -> "OwnThreads":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for _ in self._threads:
            self._jobs.put(None)

    def _serve(self, nice: int) -> None:
        if nice:
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)  # Linux: this thread only
            except (OSError, AttributeError):
                pass
        while (job := self._jobs.get()) is not None:
            job()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in one of these threads; returns its value or raises its exception.

        Cancellation: stops waiting at once; ``fn`` runs to its end in the thread (threads cannot be
        interrupted) and its result is dropped.
        """
        token = trio.lowlevel.current_trio_token()
        done = trio.Event()
        box: list[tuple[bool, Any]] = []

        def job() -> None:
            try:
                box.append((True, fn(*args)))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting task
                box.append((False, exc))
            try:
                token.run_sync_soon(done.set)
            except trio.RunFinishedError:
                pass  # the event loop is gone: nobody waits

        self._jobs.put(job)
        await done.wait()
        ok, value = box[0]
        if not ok:
            raise value
        return value


async def serve_heavy(receive: trio.MemoryReceiveChannel, nice: int = HEAVY_NICE) -> None:
    """One incarnation of a heavy-lane worker: price the spilled jobs one at a time, each in its
    steps (dre.pricing.Staged): the long one (``kernel``, a numba call that releases the GIL) on a
    low-priority thread of its own (HEAVY_NICE), the short Python ones (encoding, the Result) on a
    normal one. Not on the light lane's threads: heavy work never takes the threads ordinary baskets
    need, and yields the CPU to them. And not Python on the low-priority thread: a thread holding the
    GIL makes every other wait for it, the event loop included, and a low-priority thread may wait
    long for a core (priority inversion).

    A job whose reply was settled while it waited (its deadline passed, actors.deadlines) is
    dropped unpriced: nobody waits for it. Does not close ``receive`` (its owner does).
    Raises: whatever pricing raised, after failing that job with a 503 (supervisor restarts).
    """
    with OwnThreads("dre-heavy-python", 1) as python, OwnThreads("dre-heavy-lane", 1, nice) as crunch:
        async for spilled in receive:
            reply = spilled.job.reply
            if reply.answered:
                continue
            try:
                kernel, finish = await python.run(spilled.stage)
                if reply.answered:
                    continue
                result = await python.run(finish, await crunch.run(kernel))
            except Exception:
                reply.fail(engine_unavailable("pricing failed in the heavy lane; it is being restarted, retry"))
                raise
            spilled.answer(result)
