"""The store actor's engine: a mailbox of requests, batched into Redis pipelines.

Only this actor touches Redis (STYLE.md §5). A caller hands it a request - a Redis command, or a
function that queues ONE command on a redis-py pipeline - and waits for its own reply, parked on
the request itself. Worker tasks, one per connection, take whatever is waiting in the
mailbox (up to ``max_batch``; one idle worker at a time waits on it, so a burst is one pipeline,
and a backlog of ``SPLIT_FROM`` or more is shared among the idle workers), write it as one
pipeline on their own trio connection (``actors.redis_link``) and hand each caller its own reply.
Error replies stay in their slot, so one script's error reaches only its own caller.

What a request costs matters: at the rates Redis can take (~100k EVALSHA/s) the Python side has
a budget of a few tens of microseconds per request on one core, shared by trio, the parser and
the caller's own work. So (figures from ``bench/store.py`` and py-spy, see docs/store.md):

* Pipelines are written and read on the event loop, not in a thread: a thread hop per batch
  (thread wake-up, trio wake-up, GIL hand-offs) cost more than the pipeline itself.
* redis-py only builds commands (its pipeline methods, called on a connection-less builder) and
  shapes replies (its RESP2 reply callbacks); hiredis packs and parses in C.
* Scripts run as plain ``EVALSHA`` commands (:meth:`StoreCore.call_script`). Every script is
  loaded once at start-up, and a NOSCRIPT reply (server restarted or flushed) reloads them all
  and re-runs just the calls that got it.
* The 5 s call deadline is kept by one task (actors.deadlines), not by a ``trio.fail_after``
  per call: a deadline cancel scope costs ~15 µs of CPU per call with hundreds of tasks waiting,
  more than everything else a call does on the trio side.
* A URL naming a Redis Cluster node is detected on the first connect (``INFO cluster``); each
  worker's pipeline is then split per master by key slot (``actors.redis_cluster``), MOVED/ASK
  are followed, and scripts are loaded on every master.
* Calls of a batched script (``confirm.lua``) of one slot waiting in the same round are merged
  into one call (:func:`merge`): the confirms of a tenant commit together, one WAIT for all. So
  are the calls of a script with a merged form (``coupon_reserve.lua``: dre.store.scripts.MERGED),
  each run as if alone: one EVALSHA and one definition of the prelude's helpers for them all.
* The mailbox is entered with ``send_nowait`` (a blocking ``send`` only when it is full), which
  saves a trip through the scheduler per call.
* The caller parks on its request (``trio.lowlevel.wait_task_rescheduled``) and the worker
  reschedules it with the reply: a ``trio.Event`` per call cost ~10 % of a call's client CPU more.
* A large backlog goes out in shares, and in a long pipeline a reply is handed to its caller as
  soon as it is read (on one node; a cluster's after its redirects and WAIT): the client works
  on the first replies while Redis computes the rest, instead of each side waiting for the other.
"""
from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import redis
import trio
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.commands.core import Script
from redis.crc import key_slot
from redis.exceptions import (
    AskError,
    BusyLoadingError,
    ClusterDownError,
    MasterDownError,
    MovedError,
    NoScriptError,
    OutOfMemoryError,
    ReadOnlyError,
    TryAgainError,
)
from redis.retry import Retry

from actors import operation
from actors.breaker import CircuitBreaker
from actors.deadlines import Deadlines
from actors.kit import mailbox  # noqa: F401  (the store's mailbox; actors.store imports it from here)
from actors.messages import drain
from actors.redis_cluster import Durable, Link, LinkFactory
from dre.errors import DREError
from dre.store.replies import parse_script_error, store_unavailable
from dre.store.scripts import Scripts, merged_command

MAILBOX_SIZE = 512  # requests queued for the workers; senders wait beyond it (backpressure)
MAX_BATCH = 512  # requests per pipeline. Under load a batch is what queued while the other
# pipelines ran (its share of it, see StoreCore._share); this only bounds one pipeline's time on
# its connection, which is ~1 ms per 100 requests
POOL_SIZE = 2  # Redis connections = pipelines in flight = worker tasks. Two: one pipeline is on the
# wire while the next batch gathers; more split the waiting calls into smaller pipelines and cost
# a send, a receive and a wake-up each (measured ~15 % more CPU per evaluate with 4)
SPLIT_FROM = 64  # a backlog this large is shared among the idle workers (StoreCore._share)
CALL_TIMEOUT_S = 5.0  # a caller gives up (503) after this long, queueing included
CONNECT_TIMEOUT_S = 0.5  # a down server is noticed fast (the breaker then fails calls fast)
SOCKET_TIMEOUT_S = 3.0  # a pipeline whose replies take longer counts as a connection failure
JOURNAL_TTL_MS = int(operation.JOURNAL_TTL_S * 1000)
MAX_MERGE = 64  # calls of a batchable script merged into one (bounds one script's time in Redis)
# calls of a script's merged form (dre.store.scripts.MERGED) in one (~0.3 ms of Redis for 16
# reserves). bench.store's reserve, % of the ceiling, when first measured: 33 alone, 34 by 4, 34-37
# by 8, 36 by 16 and by 32 (docs/capacity.md, 2026-12-05); a backlog's pipeline still holds many
# merged calls, each answered as it is read (StoreCore._answer_early)
MERGED_FORM_GROUP = 16
NOSCRIPT_RETRIES = 3  # reload-and-rerun rounds for calls answered NOSCRIPT (each round only
# loses to a SCRIPT FLUSH racing it; a NOSCRIPT call did not run, so re-running it is safe)

T = TypeVar("T")
Enqueue = Callable[[Pipeline], Any]  # queues exactly one command on the pipeline
# Errors that mean "Redis is not reachable" (they count for the breaker); anything else that
# escapes a pipeline is a bug and goes to the callers as it is.
CONNECTION_ERRORS = (redis.ConnectionError, redis.TimeoutError, OSError)
# Error replies that say "this Redis cannot serve us now" (out of memory, a replica, loading its
# data, a cluster node that does not own the slot...), not "this call is wrong": the caller gets a
# 503 and the breaker counts a failure, as for an unreachable Redis.
FAULT_REPLIES = (OutOfMemoryError, ReadOnlyError, BusyLoadingError, MovedError, AskError, TryAgainError,
                 ClusterDownError, MasterDownError)
FAULT_PREFIXES = ("OOM ", "READONLY ", "LOADING ", "MISCONF ", "BUSY ", "NOREPLICAS ", "MASTERDOWN ")
# A write refused inside a script comes back wrapped ("ERR Error running script ...: OOM ...").
FAULT_WORDS = ("OOM command not allowed", "READONLY You can't write", "-MISCONF", "MISCONF Redis is configured")


class _Request:
    """One call: the command (``args``, plus redis-py's reply-callback ``options``), its
    deadline, and where the reply goes (``reply`` - a reply or an exception for this request
    alone - then it is ``settled``, exactly once, by a worker or at the deadline, and its caller,
    parked in :meth:`wait`, is woken: a task parked directly, without a ``trio.Event`` per call)."""

    __slots__ = ("_task", "answered", "args", "batch", "deadline", "group", "lost", "options", "reply",
                 "settled", "timeout_s")

    def __init__(self, args: tuple, options: dict | None, batch: tuple | None = None,
                 group: tuple["_Request", ...] | None = None) -> None:
        self.args = args  # a Durable tuple: its write must reach a replica (actors.redis_cluster)
        self.options = options  # None: the raw reply is the answer (EVALSHA)
        # a batchable script's call (merge): (sha, group, keys, frame, most merged, durable, shared): a
        # batched script's group is the slot, its frame (#keys, #args, args); a merged form's group
        # is shared (its Shape's keys and args), its keys and frame the call's own
        self.batch = batch
        self.group = group  # the commands of a call_group request (its own args unused)
        self.deadline = math.inf
        self.timeout_s = 0.0
        self.settled = False  # answered, or failed at the deadline
        self._task: trio.lowlevel.Task | None = None  # the caller, while parked in wait()
        self.reply: Any = None
        self.answered = False  # by Redis (or a connection failure), not at the deadline
        self.lost = False  # the connection failed after the command may have been sent

    def answer(self, reply: Any, lost: bool = False) -> None:
        if not self.settled:  # a request already failed at its deadline keeps its 503
            self.reply = reply
            self.answered = True
            self.lost = lost
            self.settled = True  # _settle inline: this runs once per call on the worker
            task, self._task = self._task, None
            if task is not None:
                trio.lowlevel.reschedule(task)

    @property
    def outcome_unknown(self) -> bool:
        """Redis may have run it, and we cannot know: no reply by the deadline, or the
        connection broke with the command on the wire."""
        return self.lost or not self.answered

    def expire(self) -> None:
        self.reply = timed_out(self.timeout_s)
        self._settle()

    def _settle(self) -> None:
        self.settled = True
        task, self._task = self._task, None
        if task is not None:
            trio.lowlevel.reschedule(task)

    async def wait(self) -> None:
        """Until settled (a checkpoint either way, as ``trio.Event.wait``). Cancellable: the
        reply is then dropped when it comes."""
        if self.settled:
            await trio.lowlevel.checkpoint()
            return
        self._task = trio.lowlevel.current_task()

        def abort(_: Any) -> trio.lowlevel.Abort:
            self._task = None
            return trio.lowlevel.Abort.SUCCEEDED

        await trio.lowlevel.wait_task_rescheduled(abort)


def make_client(url: str, pool_size: int = POOL_SIZE) -> redis.Redis:
    """A sync redis-py client for ``url``: the actor's command builder and reply shaper.

    The actor does no I/O with it (its workers own trio links); it builds commands with
    redis-py's pipeline methods and shapes replies with its RESP2 callbacks, which is why the
    protocol is pinned to 2 (the links speak RESP2). Tools and tests may use it directly.
    Retries are off: re-sending a command whose first send may have reached the server could
    run a non-idempotent script twice (a counter would skip).
    """
    pool = redis.BlockingConnectionPool.from_url(
        url,
        protocol=2,
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
        client: the sync redis-py client for the same URL, for tools and tests (the actor builds
            commands and shapes replies with the plain one, see :func:`make_client`): once the
            URL turned out to name a cluster node, a ``redis.cluster.RedisCluster`` of it.
            Closed when the actor stops.
        scripts: the registered Lua scripts.
        breaker: circuit breaker; ``breaker.state`` and ``breaker.last_ok`` feed the heartbeat.
    """

    def __init__(
        self,
        url: str,
        client: redis.Redis,
        scripts: Scripts,
        breaker: CircuitBreaker,
        send: trio.MemorySendChannel,
        max_batch: int = MAX_BATCH,
        call_timeout_s: float = CALL_TIMEOUT_S,
    ) -> None:
        self.url = url
        self.links = LinkFactory(url, CONNECT_TIMEOUT_S)  # single node or cluster, decided on first contact
        self._client = client
        self._cluster_client: redis.RedisCluster | None = None
        self.scripts = scripts
        self.breaker = breaker
        self._send = send
        self._builder = client.pipeline(transaction=False)  # queues commands; never executed
        self._callbacks = client.response_callbacks
        self._max_batch = max_batch
        self.call_timeout_s = call_timeout_s
        self.deadlines = Deadlines()  # its run() is a task of the actor
        self.batches = 0  # pipelines run (for tests and the benchmark)
        self.requests = 0  # requests answered
        self.script_loads = 0  # times the scripts were (re)loaded after NOSCRIPT
        self.merged = 0  # calls that went to Redis inside another's command (call_batched)
        self._collecting = trio.Lock()  # held by the one worker waiting on the mailbox (worker)
        self._idle = 0  # workers not running a pipeline (waiting on the mailbox or for their turn)

    @property
    def client(self) -> redis.Redis | redis.RedisCluster:
        if self.links.clustered and self._cluster_client is None:
            self._cluster_client = redis.RedisCluster.from_url(
                self.url, decode_responses=True, socket_connect_timeout=CONNECT_TIMEOUT_S,
                socket_timeout=SOCKET_TIMEOUT_S)
        return self._cluster_client or self._client

    def close_clients(self) -> None:
        """Close the sync clients' connections (the actor's own links close with its workers)."""
        self._client.close()
        if self._cluster_client is not None:
            self._cluster_client.close()

    # -- caller side ----------------------------------------------------------------------

    async def call(self, enqueue: Enqueue, parse: Callable[[Any], T] | None = None) -> T:
        """Run one command through the actor and return its (parsed) reply.

        ``enqueue(pipe)`` queues exactly one command on a redis-py pipeline (any command; the
        reply gets redis-py's shaping, e.g. HGETALL a dict). Scripts go through
        :meth:`call_script` instead.

        Raises:
            DREError: 503 STORE_UNAVAILABLE (breaker open, Redis unreachable, timeout, store
                closed); the mapped status for a script's error reply (see dre.store.replies).
            redis.ResponseError: any other error reply (a bug, not the client's fault).

        Cancellation: if the caller is cancelled after its request was queued, the command may
        still run on Redis; only the reply is dropped. Scripts are written so that a retry of
        the same call is a replay (confirm, reserve, cancel, points, idempotency keys).
        """
        enqueue(self._builder)  # synchronous: nothing else runs between this and the pop
        args, options = self._builder.command_stack.pop()
        options.pop("keys", None)  # as redis-py does before its callback: only for its client cache
        return await self._submit(_Request(args, options), parse)

    async def call_script(
        self,
        script: Script,
        keys: Sequence[str],
        args: Sequence[Any],
        parse: Callable[[Any], T] | None = None,
        journal_as: str | None = None,
        durable: bool = False,
    ) -> T:
        """Run ``script`` by EVALSHA through the actor; as :meth:`call` otherwise.

        Within a request's operation (actors.operation: it has an Idempotency-Key) the script's
        journaled form runs: a retry of the request gets this call's first reply, not a second run.
        The call is known by its keys, or by ``journal_as`` when they are drawn afresh by each
        attempt (new coupon codes). The journal key takes the hash tag of ``keys[0]``: on a
        cluster it is in the slot of the script's own keys.

        ``durable``: on a cluster whose master has replicas, the reply counts only once a replica
        acknowledged the write (``WAIT``); else a 503, and the caller's retry must be a replay.

        Outside an operation, a script with a merged form (dre.store.scripts.MERGED) runs as one
        call of it, merged with the calls of the same script, slot and shared keys and arguments
        (its Shape) waiting in the same round (:func:`merge`, as :meth:`call_batched`); its reply
        is the same. A call of another shape runs alone.
        """
        merged = self.scripts.merged(script)
        if merged is not None and operation.current() is None:
            parts = merged.shape.split(keys, args)
            if parts is not None:
                return await self._submit(_merged_call(merged.script, *parts, durable), parse)
        return await self._submit(_Request(self._script_command(script, keys, args, journal_as, durable), None), parse)

    async def call_group(self, *commands: tuple[Script, Sequence[str], Sequence[Any]] | tuple[str, ...] | Enqueue
                         ) -> list[Any]:
        """Several commands that do not depend on each other's replies, as ONE request: they go
        in the same pipeline, in this order (on a cluster each to its own master, so they may
        run in any order there), and the caller is woken once. Each is a script call
        ``(script, keys, args)`` (journaled within an operation, as :meth:`call_script`), a plain
        command ``(name, *args)`` whose raw reply is its answer (as a script's), or an ``enqueue``
        function (as :meth:`call`).

        Returns one reply per command, in order: the shaped reply, or the exception a lone call
        would have raised (a script's mapped DREError, a 503), so the caller decides what each
        outcome means. Raises DREError 503 only when the request itself could not be made
        (breaker open, store shut down, the deadline).
        """
        subs = []
        for c in commands:
            if isinstance(c, tuple):
                subs.append(_Request(c if isinstance(c[0], str) else self._script_command(*c), None))
            else:
                c(self._builder)
                args, options = self._builder.command_stack.pop()
                options.pop("keys", None)
                subs.append(_Request(args, options))
        replies = await self._submit(_Request((), None, group=tuple(subs)), None)
        out: list[Any] = []
        for r in replies:
            if isinstance(r, redis.ResponseError):
                mapped = parse_script_error(r)
                r = mapped if mapped is not None else r
            out.append(r)
        return out

    def _script_command(self, script: Script, keys: Sequence[str], args: Sequence[Any], journal_as: str | None = None,
                        durable: bool = False) -> tuple:
        """The EVALSHA command of a script call (its journaled form within an operation)."""
        op = operation.current()
        journaled = self.scripts.journaled(script) if op is not None and keys else None
        if journaled is not None:
            keys = (*keys, op.journal_key(script.sha, keys, journal_as))
            args = (*args, JOURNAL_TTL_MS)
            script = journaled
        command = ("EVALSHA", script.sha, len(keys), *keys, *args)
        return Durable(command) if durable else command

    async def call_batched(
        self,
        script: Script,
        keys: Sequence[str],
        args: Sequence[Any],
        parse: Callable[[Any], T] | None = None,
        durable: bool = False,
    ) -> T:
        """Run one item of a *batched* script (confirm.lua): ARGV[1] = n, then per item its frame
        (#keys, #args, args...), KEYS one item's after the other; it answers one reply per item.

        The calls of such a script whose first keys share a slot and that wait in the mailbox in
        the same round go to Redis as ONE call (up to MAX_MERGE items, in arrival order; durable:
        one WAIT for all). Each caller gets its own item's reply, an ``{'ERROR', message}`` item
        as an error reply. Within a request's operation (an Idempotency-Key) the call runs alone,
        in its journaled form (as :meth:`call_script`), so its journal holds its own reply only.
        """
        if operation.current() is not None:
            replies = await self.call_script(script, keys, (1, len(keys), len(args), *args), durable=durable)
            item = batch_item(replies[0])
            if isinstance(item, redis.ResponseError):
                mapped = parse_script_error(item)
                raise mapped if mapped is not None else item
            return parse(item) if parse is not None else item
        return await self._submit(_merging(script, keys, args, durable, MAX_MERGE), parse)

    async def _submit(self, req: _Request, parse: Callable[[Any], T] | None) -> T:
        probe = self.breaker.admit()
        req.deadline = trio.current_time() + self.call_timeout_s
        req.timeout_s = self.call_timeout_s
        try:
            try:
                self._send.send_nowait(req)
            except trio.WouldBlock:  # mailbox full: wait for room, within the deadline
                with trio.move_on_at(req.deadline) as scope:
                    await self._send.send(req)
                if scope.cancelled_caught:
                    raise timed_out(self.call_timeout_s)
            self.deadlines.watch(req, req.deadline)
            await req.wait()
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            raise store_unavailable("store is shut down") from None
        finally:
            if probe and not req.answered:
                self.breaker.probe_abandoned()
            if (req.lost or not req.answered) and (op := operation.current()) is not None:  # outcome_unknown
                op.outcome_unknown = True  # the Idempotency-Key's claim is kept for the retry
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
        """Drain the mailbox in batches on one connection until every send end is closed.

        Owns (and closes) its clone of the receive end and its connection. A connection that
        failed, timed out or was cancelled in the middle of a pipeline is dropped, and the next
        batch opens a new one (an unreachable Redis costs each batch one connect attempt, until
        the breaker opens).
        """
        link: Link | None = None
        try:
            async with receive:
                while True:
                    # One idle worker at a time waits on the mailbox: the channel hands a call
                    # straight to a waiting receiver, so with every worker waiting a burst of calls
                    # (a pipeline's callers calling again) went out as one big pipeline and one
                    # pipeline of a single call per other worker - each with its own send, receive
                    # and wake-up (bench.store's coupon reserves: ~17 calls a pipeline on average,
                    # ~56 µs of client CPU each; one pipeline of 500, ~40 µs).
                    self._idle += 1
                    try:
                        async with self._collecting:
                            try:
                                first = await receive.receive()
                            except trio.EndOfChannel:
                                break
                            # one trip through the scheduler first: the callers already runnable in
                            # this round queue their calls too, and join this pipeline
                            await trio.lowlevel.cancel_shielded_checkpoint()
                            batch = drain(first, receive, self._share(receive))
                    finally:
                        self._idle -= 1
                    link = await self._execute(batch, link)
        finally:
            if link is not None:
                await link.aclose()

    def _share(self, receive: trio.MemoryReceiveChannel) -> int:
        """How many waiting calls this worker takes: all of a small backlog (one pipeline, the
        fewest sends and wake-ups), an equal share of a large one among the idle workers. One
        pipeline of 500 left the client idle while Redis ran it and Redis idle while the client
        handled its replies; in shares, Redis runs one while the client handles the one before
        (bench.store, Redis and client on a core each: next_counter 45 -> 55 % of the ceiling)."""
        waiting = 1 + receive.statistics().current_buffer_used
        if waiting < SPLIT_FROM:
            return self._max_batch
        return min(self._max_batch, -(-waiting // max(1, self._idle)))

    async def _execute(self, requests: list[_Request], link: Link | None) -> Link | None:
        """Run one batch; returns the connection to use for the next one (None: open anew).
        A call_group request's commands run in its place, and it is answered with their replies."""
        batch = requests
        if any(r.group for r in requests):
            batch = [c for r in requests for c in (r.group or (r,))]
        ok = False
        lost = itertools.repeat(False)  # per request: could it have run, its reply lost?
        try:
            if link is not None and link.stale():
                await link.aclose()
                link = None
            if link is None:
                link = await self.links.open()
            lost = itertools.repeat(True)  # from here on, a failure leaves the batch's outcome unknown
            replies = await self._run_pipeline(link, batch)
            ok = True
            lost = itertools.repeat(False)
        except CONNECTION_ERRORS + FAULT_REPLIES as exc:  # also: refused while connecting
            self.breaker.record_failure(exc)
            replies = [unavailable(exc)] * len(batch)
        except Exception as exc:  # a bug: every caller of the batch sees it, the actor lives on
            replies = [exc] * len(batch)
        else:
            fault = next((r for r in replies if isinstance(r, Exception) and is_store_fault(r)), None)
            if fault is None:
                self.breaker.record_success()
            else:
                self.breaker.record_failure(fault)
                lost = [may_have_run(r) for r in replies]  # one cluster node's failure, not the batch's
                replies = [unavailable(r) if is_store_fault(r) else r for r in replies]
        finally:
            self.batches += 1
            if not ok and link is not None:  # failed or cancelled mid-pipeline: out of step
                await link.aclose()
                link = None
        if batch is requests:
            for req, reply, maybe in zip(batch, replies, lost):
                req.answer(reply, lost=maybe)
        else:
            answers = zip(replies, lost)
            for req in requests:
                if not req.group:
                    req.answer(*next(answers))
                    continue
                got = [next(answers) for _ in req.group]
                req.answer([r for r, _ in got], lost=any(m for _, m in got))
        self.requests += len(requests)
        return link

    async def _run_pipeline(self, link: Link, batch: list[_Request]) -> list[Any]:
        """One pipeline for the batch; one shaped reply or exception per request.

        Calls of a batched script (:meth:`call_batched`) of one slot are merged into one command
        first (:func:`merge`). Commands answered NOSCRIPT did not run: the scripts are loaded again
        and only those are re-run (the others' replies stand - re-running them would run them twice).
        """
        if all(r.batch is None for r in batch):  # the usual batch: one command per request
            wire, members = [r.args for r in batch], None
        else:
            wire, members = merge(batch)
        early = functools.partial(self._answer_early, batch, members) if len(batch) >= SPLIT_FROM else None
        replies = await link.pipeline(wire, SOCKET_TIMEOUT_S, early)
        for _ in range(NOSCRIPT_RETRIES if any(isinstance(r, Exception) for r in replies) else 0):
            again = [i for i, r in enumerate(replies) if isinstance(r, NoScriptError)]
            if not again:
                break
            await self.load_scripts(link)
            self.script_loads += 1
            for i, r in zip(again, await link.pipeline([wire[i] for i in again], SOCKET_TIMEOUT_S)):
                replies[i] = r
        if members is None:  # a script's reply (options None) is its answer as it came; a request
            # answered early (_answer_early) keeps the shaped reply it was given
            return [req.reply if req.answered else reply if req.options is None else self._shape(req, reply)
                    for req, reply in zip(batch, replies)]
        out: list[Any] = [None] * len(batch)
        for reply, idx in zip(replies, members):
            first = batch[idx[0]]
            if first.batch is None:
                out[idx[0]] = first.reply if first.answered else self._shape(first, reply)
            elif all(batch[i].answered for i in idx):  # each answered early (_answer_early)
                for i in idx:
                    out[i] = batch[i].reply
            elif (items := merged_items(reply, len(idx), flat=first.batch[6] is not None)) is not None:
                for i, item in zip(idx, items):  # a merged call: each its item
                    req = batch[i]
                    out[i] = req.reply if req.answered else batch_item(item)
            else:  # the call failed (or a bug answered otherwise): each of its calls gets that
                for i in idx:
                    out[i] = reply
        self.merged += len(batch) - len(wire)
        return out

    def _answer_early(self, batch: list[_Request], members: list[list[int]] | None, i: int, reply: Any) -> None:
        """Answer a request as soon as its reply is read (RedisLink.pipeline's ``each``): its caller
        runs while Redis still computes the rest of a long pipeline (bench.store: next_counter
        ~55 -> ~70 % of the ceiling). Only in a pipeline of SPLIT_FROM or more: a short one's callers
        are woken together at its end, as before - woken as their replies came (a read apart,
        when the evaluates' iterations are large) they cost ~200 µs more CPU per HTTP evaluate at
        8 in flight (bench.http_inprocess: DRE's own 500 -> 713 µs). Error replies wait for the end
        of the pipeline: NOSCRIPT is run again, a store fault goes to the breaker first."""
        if isinstance(reply, Exception):
            return
        if members is None:
            req = batch[i]
            req.answer(reply if req.options is None else self._shape(req, reply))
            return
        idx = members[i]
        first = batch[idx[0]]
        if first.batch is None:
            first.answer(self._shape(first, reply))
        elif (items := merged_items(reply, len(idx), flat=first.batch[6] is not None)) is not None:
            for j, item in zip(idx, items):  # a merged call: each its item
                if not _is_item_error(item):
                    batch[j].answer(item)

    def _shape(self, req: _Request, reply: Any) -> Any:
        """The reply as redis-py would return it (its callback for the command, if any)."""
        if req.options is None or isinstance(reply, Exception):
            return reply
        callback = self._callbacks.get(req.args[0])
        return callback(reply, **req.options) if callback is not None else reply

    async def load_scripts(self, link: Link | None = None) -> None:
        """SCRIPT LOAD every script in one pipeline (on ``link``, or on a connection of its own),
        on every master of a cluster.

        Raises: redis connection errors; redis.ResponseError if Redis refuses a script.
        """
        own = link is None
        if link is None:
            link = await self.links.open()
        try:
            scripts = self.scripts.all()
            for shas in await link.broadcast([("SCRIPT", "LOAD", s.script) for s in scripts], SOCKET_TIMEOUT_S):
                for script, sha in zip(scripts, shas):
                    if isinstance(sha, Exception):
                        raise sha
                    if sha != script.sha:
                        raise RuntimeError(f"Redis returned SHA {sha} for a script hashed {script.sha}")
        finally:
            if own:
                await link.aclose()


@functools.lru_cache(maxsize=4096)  # the first key of a batched call is its tenant's: a few per worker
def _slot_of(key: str) -> int:
    return key_slot(key.encode())


def _merging(script: Script, keys: Sequence[str], args: Sequence[Any], durable: bool, most: int) -> _Request:
    """A call of a batched script, which :func:`merge` sends as one item (n = 1, its frame) of a
    call, merged with the calls of the same script and slot that wait in the same round, ``most``
    in one. (Its command is built there: ``args`` is not used.)"""
    return _Request((), None, (script.sha, _slot_of(keys[0]), keys, (len(keys), len(args), *args), most, durable,
                               None))


def _merged_call(script: Script, shared: tuple[tuple, tuple], keys: tuple, args: tuple, durable: bool) -> _Request:
    """A call of a script's merged form (its ``shared`` keys and arguments, and its own), which
    :func:`merge` sends merged with the calls of the same shared values waiting in the same round,
    MERGED_FORM_GROUP in one. (Its shared keys name its slot: a call's keys are all of one slot.)"""
    return _Request((), None, (script.sha, shared, keys, args, MERGED_FORM_GROUP, durable, shared))


def merge(batch: Sequence[_Request]) -> tuple[list[tuple], list[list[int]]]:
    """The commands to send for ``batch``, and which requests each one answers: a batched
    script's calls of one slot (sha, slot; a merged form's: sha, its shared values) become
    one command, at the place of the first of them, items in arrival order, as many as the call
    allows (MAX_MERGE, MERGED_FORM_GROUP); every other request is its own command. A merged
    form's command sends the shared keys and arguments once, before the calls' own
    (dre.store.scripts.MERGED_TAIL)."""
    groups: dict[tuple, list[int]] = {}
    members: list[list[int]] = []
    for i, req in enumerate(batch):
        if req.batch is not None:
            group = groups.get(req.batch[:2])
            if group is not None and len(group) < req.batch[4]:
                group.append(i)
                continue
            groups[req.batch[:2]] = group = [i]
            members.append(group)
        else:
            members.append([i])
    wire: list[tuple] = []
    for idx in members:
        first = batch[idx[0]]
        if first.batch is None:
            wire.append(first.args)
            continue
        sha, _, keys, frame, _, durable, shared = first.batch
        if len(idx) == 1 and shared is None:
            command = ("EVALSHA", sha, len(keys), *keys, 1, *frame)
            wire.append(Durable(command) if durable else command)
            continue
        items = [batch[i] for i in idx]
        if shared is None:
            # chained in C, not by a generator: ~30 % less CPU for the ~30 keys and arguments of each item
            keys = list(itertools.chain.from_iterable(r.batch[2] for r in items))
            command = ("EVALSHA", sha, len(keys), *keys, len(items),
                       *itertools.chain.from_iterable(r.batch[3] for r in items))
        else:
            command = merged_command(sha, shared, [r.batch[2:4] for r in items])
        wire.append(Durable(command) if any(r.batch[5] for r in items) else command)
    return wire, members


def merged_items(reply: Any, n: int, flat: bool) -> list | None:
    """The items of the reply to a call that merged ``n`` calls, one per call, or None when it is
    not one (an error reply, or a bug answered otherwise): a batched script (confirm.lua) answers
    an array of them, a merged form (``flat``) a flat array, each call's count of items and then
    its items (dre.store.scripts.MERGED_TAIL)."""
    if not isinstance(reply, list):
        return None
    if not flat:
        return reply if len(reply) == n else None
    items, at, end = [], 0, len(reply)
    for _ in range(n):
        if at >= end or not isinstance(reply[at], int):
            return None
        count = reply[at]
        items.append(reply[at + 1:at + 1 + count])
        at += 1 + count
    return items if at == end else None


def _is_item_error(item: Any) -> bool:
    return isinstance(item, list) and len(item) == 2 and item[0] == "ERROR"


def batch_item(item: Any) -> Any:
    """One item's reply of a batched script: ``{'ERROR', message}`` becomes its error reply."""
    return redis.ResponseError(item[1]) if _is_item_error(item) else item


def may_have_run(reply: Any) -> bool:
    """Could the command answered ``reply`` have run all the same? A cluster node's connection
    failed with it on the wire, or its durable write reached no replica (actors.redis_cluster):
    its outcome is unknown, as for a batch whose connection broke."""
    if isinstance(reply, CONNECTION_ERRORS):
        return True
    return isinstance(reply, redis.ResponseError) and str(reply).startswith("NOREPLICAS")


def is_store_fault(reply: Any) -> bool:
    """Is ``reply`` an error reply of a Redis that cannot serve now (see FAULT_REPLIES), or the
    connection error of the one cluster node that could not be reached?"""
    if isinstance(reply, FAULT_REPLIES + CONNECTION_ERRORS):
        return True
    if not isinstance(reply, redis.ResponseError):
        return False
    text = str(reply)
    return text.startswith(FAULT_PREFIXES) or any(word in text for word in FAULT_WORDS)


def timed_out(timeout_s: float) -> DREError:
    """The 503 of a call not answered within its deadline (queueing included)."""
    return store_unavailable(f"store call timed out after {timeout_s}s")


def unavailable(exc: BaseException) -> DREError:
    """The 503 handed to a caller whose call Redis could not take (unreachable, or a fault reply)."""
    return store_unavailable(f"store unavailable: {type(exc).__name__}: {exc}")
