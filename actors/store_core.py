"""The store actor's engine: a mailbox of requests, batched into Redis pipelines.

Only this actor touches Redis (STYLE.md §5). Callers hand it a request - a function that queues
ONE command on a pipeline - and wait for their own reply on a per-request ``trio.Event``. Worker
tasks take whatever is waiting in the mailbox (up to ``max_batch``), run it as one pipeline
(``transaction=False``) in a thread via ``trio.to_thread.run_sync`` under a ``CapacityLimiter``
no larger than the connection pool, and hand each caller its own result. Replies are collected
with ``raise_on_error=False``, so one script's error reply reaches only its own caller.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

import redis
import trio
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.client import Pipeline
from redis.exceptions import NoScriptError

from actors.breaker import CircuitBreaker
from dre.errors import DREError
from dre.store.replies import parse_script_error, store_unavailable
from dre.store.scripts import Scripts

MAILBOX_SIZE = 512  # requests queued for the workers; senders wait beyond it (backpressure)
MAX_BATCH = 256  # requests per pipeline: big enough to amortise a round trip, small enough
# that one batch does not hold a connection for long
POOL_SIZE = 4  # Redis connections = pipelines in flight = worker tasks = limiter tokens
CALL_TIMEOUT_S = 5.0  # a caller gives up (503) after this long, queueing included
CONNECT_TIMEOUT_S = 0.5  # a down server is noticed fast (the breaker then fails calls fast)
SOCKET_TIMEOUT_S = 3.0  # a hung server frees its thread after this long

T = TypeVar("T")
Enqueue = Callable[[Pipeline], Any]  # queues exactly one command on the pipeline
# Errors that mean "Redis is not reachable" (they count for the breaker); anything else that
# escapes a pipeline is a bug and goes to the callers as it is.
CONNECTION_ERRORS = (redis.ConnectionError, redis.TimeoutError, OSError)


@dataclass(eq=False)
class _Request:
    enqueue: Enqueue
    done: trio.Event = field(default_factory=trio.Event)
    reply: Any = None  # the raw reply, or an exception instance for this request alone


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
        self.batches = 0  # pipelines run (for tests and the benchmark)
        self.requests = 0  # requests answered

    # -- caller side ----------------------------------------------------------------------

    async def call(self, enqueue: Enqueue, parse: Callable[[Any], T] | None = None) -> T:
        """Run one command through the actor and return its (parsed) reply.

        Raises:
            DREError: 503 STORE_UNAVAILABLE (breaker open, Redis unreachable, timeout, store
                closed); the mapped status for a script's error reply (see dre.store.replies).
            redis.ResponseError: any other error reply (a bug, not the client's fault).

        Cancellation: if the caller is cancelled after its request was queued, the command may
        still run on Redis; only the reply is dropped. Scripts are written so that a retry of
        the same call is a replay (confirm, reserve, cancel, points, idempotency keys).
        """
        probe = self.breaker.admit()
        req = _Request(enqueue)
        try:
            with trio.fail_after(self.call_timeout_s):
                await self._send.send(req)
                await req.done.wait()
        except trio.TooSlowError:
            raise store_unavailable(f"store call timed out after {self.call_timeout_s}s") from None
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            raise store_unavailable("store is shut down") from None
        finally:
            if probe and not req.done.is_set():
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
            req.reply = reply
            req.done.set()
        self.requests += len(batch)

    def _run_pipeline(self, batch: list[_Request]) -> list[Any]:
        """(In a worker thread.) One pipeline for the batch; one reply or exception per request."""
        replies = self._pipeline(batch)
        # A SCRIPT FLUSH between the pipeline's SCRIPT EXISTS check and its EVALSHA leaves
        # NOSCRIPT replies: those scripts did not run, so running them once more is safe.
        again = [i for i, r in enumerate(replies) if isinstance(r, NoScriptError)]
        if again:
            for i, r in zip(again, self._pipeline([batch[i] for i in again])):
                replies[i] = r
        return replies

    def _pipeline(self, batch: list[_Request]) -> list[Any]:
        with self.client.pipeline(transaction=False) as pipe:
            for req in batch:
                req.enqueue(pipe)
            return pipe.execute(raise_on_error=False)


def mailbox(size: int = MAILBOX_SIZE) -> tuple[trio.MemorySendChannel, trio.MemoryReceiveChannel]:
    """The actor's mailbox: a small bounded channel (never ``math.inf``)."""
    assert size != math.inf
    return trio.open_memory_channel(size)


def unavailable(exc: BaseException) -> DREError:
    """The 503 handed to every caller of a batch that could not reach Redis."""
    return store_unavailable(f"store unreachable: {type(exc).__name__}: {exc}")
