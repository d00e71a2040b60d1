"""The store actor's engine: a mailbox of requests, batched into Redis pipelines.

Only this actor touches Redis (STYLE.md §5). A caller hands it a request - a Redis command, or a
function that queues ONE command on a pipeline - and waits for its own reply on a per-request
``trio.Event``. Worker tasks take whatever is waiting in the mailbox (up to ``max_batch``), run
it as one pipeline (``transaction=False``) in a thread via ``trio.to_thread.run_sync`` under a
``CapacityLimiter`` no larger than the connection pool, and hand each caller its own result.
Replies are collected with ``raise_on_error=False``, so one script's error reply reaches only
its own caller.

What a request costs matters: at the rates Redis can take (~100k EVALSHA/s) the Python side has
a budget of a few tens of microseconds per request on one core, shared by trio, redis-py and the
caller's own work. So (figures from ``bench/store.py`` and py-spy, see docs/store.md):

* Scripts run as plain ``EVALSHA`` commands (:meth:`StoreCore.call_script`). A ``Script`` object
  queued with ``client=pipe`` makes redis-py send ``SCRIPT EXISTS`` (and wait for it) before
  every pipeline; instead every script is loaded once at start-up, and a NOSCRIPT reply
  (server restarted or flushed) reloads them all and re-runs just the calls that got it.
* The 5 s call deadline is kept by one timekeeper task, not by a ``trio.fail_after`` per call:
  a deadline cancel scope costs ~15 µs of CPU per call with hundreds of tasks waiting, more than
  everything else a call does on the trio side. Every call has the same timeout, so deadlines
  come in submission order and a FIFO of waiting requests is all the timekeeper needs.
* The mailbox is entered with ``send_nowait`` (a blocking ``send`` only when it is full), which
  saves a trip through the scheduler per call.
* The hiredis parser (a dependency) packs commands and parses replies in C.
"""
from __future__ import annotations

import math
from collections import deque
from typing import Any, Callable, Sequence, TypeVar

import redis
import trio
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.commands.core import Script
from redis.exceptions import NoScriptError
from redis.retry import Retry

from actors.breaker import CircuitBreaker
from dre.errors import DREError
from dre.store.replies import parse_script_error, store_unavailable
from dre.store.scripts import Scripts

MAILBOX_SIZE = 512  # requests queued for the workers; senders wait beyond it (backpressure)
MAX_BATCH = 512  # requests per pipeline. Under load a batch is whatever queued while the other
# pipelines ran (all of it: a bigger batch costs no more per request); this only bounds one
# pipeline's time on its connection, which is ~1 ms per 100 requests
POOL_SIZE = 4  # Redis connections = pipelines in flight = worker tasks = limiter tokens
CALL_TIMEOUT_S = 5.0  # a caller gives up (503) after this long, queueing included
TIMEKEEPER_TICK_S = 0.05  # how often the timekeeper forgets answered requests (bounds its FIFO)
CONNECT_TIMEOUT_S = 0.5  # a down server is noticed fast (the breaker then fails calls fast)
SOCKET_TIMEOUT_S = 3.0  # a hung server frees its thread after this long
NOSCRIPT_RETRIES = 3  # reload-and-rerun rounds for calls answered NOSCRIPT (each round only
# loses to a SCRIPT FLUSH racing it; a NOSCRIPT call did not run, so re-running it is safe)

T = TypeVar("T")
Enqueue = Callable[[Pipeline], Any]  # queues exactly one command on the pipeline
# Errors that mean "Redis is not reachable" (they count for the breaker); anything else that
# escapes a pipeline is a bug and goes to the callers as it is.
CONNECTION_ERRORS = (redis.ConnectionError, redis.TimeoutError, OSError)


class _Request:
    """One call: the command (``args`` for ``execute_command``, or an ``enqueue`` function), its
    deadline, and where the reply goes (``reply`` - a raw reply or an exception for this request
    alone - then ``done`` is set, exactly once, by a worker or by the timekeeper)."""

    __slots__ = ("args", "enqueue", "deadline", "done", "reply", "answered")

    def __init__(self, args: tuple | None, enqueue: Enqueue | None) -> None:
        self.args = args
        self.enqueue = enqueue
        self.deadline = math.inf
        self.done = trio.Event()
        self.reply: Any = None
        self.answered = False  # by Redis (or a connection failure), not by the timekeeper

    def answer(self, reply: Any) -> None:
        if not self.done.is_set():  # a request the timekeeper already failed keeps its 503
            self.reply = reply
            self.answered = True
            self.done.set()


def make_client(url: str, pool_size: int = POOL_SIZE) -> redis.Redis:
    """The sync client the actor owns: a pool of ``pool_size`` connections, no hidden retries.

    redis-py retries on connection errors by default; re-sending a pipeline whose first send may
    have reached the server could run a non-idempotent script twice (a counter would skip), so
    retries are off and the breaker plus the caller deal with failures.
    """
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=pool_size,
        timeout=CALL_TIMEOUT_S,
        decode_responses=True,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=SOCKET_TIMEOUT_S,
        retry=Retry(NoBackoff(), 0),
    )
    return redis.Redis(connection_pool=pool)


class StoreCore:
    """The batching request/reply machinery (see module docstring). Built by ``start_store``.

    Attributes:
        client: the sync redis client (owned: its pool is closed when the actor stops).
        scripts: the registered Lua scripts.
        breaker: circuit breaker; ``breaker.state`` and ``breaker.last_ok`` feed the heartbeat.
    """

    def __init__(
        self,
        client: redis.Redis,
        scripts: Scripts,
        breaker: CircuitBreaker,
        send: trio.MemorySendChannel,
        pool_size: int,
        max_batch: int = MAX_BATCH,
        call_timeout_s: float = CALL_TIMEOUT_S,
    ) -> None:
        self.client = client
        self.scripts = scripts
        self.breaker = breaker
        self._send = send
        self._limiter = trio.CapacityLimiter(pool_size)  # never more threads than connections
        self._max_batch = max_batch
        self.call_timeout_s = call_timeout_s
        self._waiting: deque[_Request] = deque()  # in submission (= deadline) order
        self._timekeeper_kick = trio.Event()  # set when _waiting gets its first entry
        self.batches = 0  # pipelines run (for tests and the benchmark)
        self.requests = 0  # requests answered
        self.script_loads = 0  # times the scripts were (re)loaded after NOSCRIPT

    # -- caller side ----------------------------------------------------------------------

    async def call(self, enqueue: Enqueue, parse: Callable[[Any], T] | None = None) -> T:
        """Run one command through the actor and return its (parsed) reply.

        ``enqueue(pipe)`` queues exactly one command on a redis-py pipeline (any command, with
        redis-py's reply callbacks). Scripts go through :meth:`call_script` instead.

        Raises:
            DREError: 503 STORE_UNAVAILABLE (breaker open, Redis unreachable, timeout, store
                closed); the mapped status for a script's error reply (see dre.store.replies).
            redis.ResponseError: any other error reply (a bug, not the client's fault).

        Cancellation: if the caller is cancelled after its request was queued, the command may
        still run on Redis; only the reply is dropped. Scripts are written so that a retry of
        the same call is a replay (confirm, reserve, cancel, points, idempotency keys).
        """
        return await self._submit(_Request(None, enqueue), parse)

    async def call_script(
        self,
        script: Script,
        keys: Sequence[str],
        args: Sequence[Any],
        parse: Callable[[Any], T] | None = None,
    ) -> T:
        """Run ``script`` by EVALSHA through the actor; as :meth:`call` otherwise.

        The command is built here, in the caller's task, so the pipeline thread only sends it.
        """
        return await self._submit(_Request(("EVALSHA", script.sha, len(keys), *keys, *args), None), parse)

    async def _submit(self, req: _Request, parse: Callable[[Any], T] | None) -> T:
        probe = self.breaker.admit()
        req.deadline = trio.current_time() + self.call_timeout_s
        try:
            try:
                self._send.send_nowait(req)
            except trio.WouldBlock:  # mailbox full: wait for room, within the deadline
                with trio.move_on_at(req.deadline) as scope:
                    await self._send.send(req)
                if scope.cancelled_caught:
                    raise store_unavailable(f"store call timed out after {self.call_timeout_s}s")
            if not self._waiting:
                self._timekeeper_kick.set()
            self._waiting.append(req)
            await req.done.wait()
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            raise store_unavailable("store is shut down") from None
        finally:
            if probe and not req.answered:
                self.breaker.probe_abandoned()
        reply = req.reply
        if isinstance(reply, redis.ResponseError):
            mapped = parse_script_error(reply)
            raise mapped if mapped is not None else reply
        if isinstance(reply, BaseException):
            raise reply
        return parse(reply) if parse is not None else reply

    async def aclose(self) -> None:
        """Close the mailbox: workers finish what is queued, then stop. Idempotent."""
        await self._send.aclose()

    # -- actor side -----------------------------------------------------------------------

    async def timekeeper(self) -> None:
        """Answer 503 to every call still waiting at its deadline (runs until cancelled).

        Wakes at the oldest waiting call's deadline, and every TIMEKEEPER_TICK_S while calls
        are flowing to drop the answered ones from the front of the FIFO; sleeps while idle.
        A request that Redis answers after its caller got the 503 is dropped (``answer``).
        """
        waiting = self._waiting
        while True:
            now = trio.current_time()
            while waiting and (waiting[0].done.is_set() or waiting[0].deadline <= now):
                req = waiting.popleft()
                if not req.done.is_set():
                    req.reply = store_unavailable(f"store call timed out after {self.call_timeout_s}s")
                    req.done.set()
            if waiting:
                await trio.sleep_until(min(waiting[0].deadline, now + TIMEKEEPER_TICK_S))
            else:
                self._timekeeper_kick = trio.Event()
                await self._timekeeper_kick.wait()

    async def worker(self, receive: trio.MemoryReceiveChannel) -> None:
        """Drain the mailbox in batches until every send end is closed.

        Owns (and closes) its clone of the receive end. Cancellation: a batch already handed to
        a thread runs to its end (redis-py calls cannot be interrupted); its callers are told.
        """
        async with receive:
            async for first in receive:
                batch = [first]
                while len(batch) < self._max_batch:
                    try:
                        batch.append(receive.receive_nowait())
                    except (trio.WouldBlock, trio.EndOfChannel):
                        break
                await self._execute(batch)

    async def _execute(self, batch: list[_Request]) -> None:
        try:
            replies = await trio.to_thread.run_sync(self._run_pipeline, batch, limiter=self._limiter)
        except CONNECTION_ERRORS as exc:
            self.breaker.record_failure(exc)
            replies = [unavailable(exc)] * len(batch)
        except Exception as exc:  # a bug: every caller of the batch sees it, the actor lives on
            replies = [exc] * len(batch)
        else:
            self.breaker.record_success()
        finally:
            self.batches += 1
        for req, reply in zip(batch, replies):
            req.answer(reply)
        self.requests += len(batch)

    def _run_pipeline(self, batch: list[_Request]) -> list[Any]:
        """(In a worker thread.) One pipeline for the batch; one reply or exception per request.

        Calls answered NOSCRIPT did not run: the scripts are loaded again and only those calls
        are re-run (the others' replies stand - re-running them would run them twice).
        """
        replies = self._pipeline(batch)
        for _ in range(NOSCRIPT_RETRIES):
            again = [i for i, r in enumerate(replies) if isinstance(r, NoScriptError)]
            if not again:
                break
            self.scripts.load(self.client)
            self.script_loads += 1
            for i, r in zip(again, self._pipeline([batch[i] for i in again])):
                replies[i] = r
        return replies

    def _pipeline(self, batch: list[_Request]) -> list[Any]:
        with self.client.pipeline(transaction=False) as pipe:
            for req in batch:
                if req.args is not None:
                    pipe.execute_command(*req.args)
                else:
                    req.enqueue(pipe)  # type: ignore[misc]
            return pipe.execute(raise_on_error=False)


def mailbox(size: int = MAILBOX_SIZE) -> tuple[trio.MemorySendChannel, trio.MemoryReceiveChannel]:
    """The actor's mailbox: a small bounded channel (never ``math.inf``)."""
    assert size != math.inf
    return trio.open_memory_channel(size)


def unavailable(exc: BaseException) -> DREError:
    """The 503 handed to every caller of a batch that could not reach Redis."""
    return store_unavailable(f"store unreachable: {type(exc).__name__}: {exc}")
