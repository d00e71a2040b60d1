"""Shard actor: finds the candidate promotions of its share of a tenant's promotion set.

Every shard actor prices every tenant: a message carries the (immutable) PromotionSet its
request started with, and shard ``s`` calls ``pset.shard_candidates(s, ...)`` (a one-shard set:
``pset.evaluate``, both phases). The actor drains what waits in its mailbox (up to
``max_batch``), groups it by set and makes one call per group, each on a thread of the actor's
own (see actors.messages.serve_batches; numba kernels release the GIL). A one-shard set is priced with a
small best-deal bound there; the few baskets cut short by it go on to the heavy lane.
"""
from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import numpy as np
import trio

from actors.kit import mailbox, open_actor
from actors.messages import LIGHT_THREADS, BatchObserver, Gather, OwnThreads, serve_batches
from actors.supervisor import RestartLog, supervise
from dre.pricing import Prepared, PromotionSet, Staged
from dre.pricing.result import Result

log = logging.getLogger("dre.actors")

MAILBOX_SIZE = 64  # queued requests per shard; senders wait beyond it (backpressure)
MAX_BATCH = 32  # baskets per shard_candidates call: amortises the thread hop, bounds latency


@dataclass(eq=False)
class ShardJob:
    """One basket for one shard: the answer goes into ``reply`` at ``slot`` (the shard index).

    The answer is the basket's candidates of this shard, or its priced Result when the set has a
    single shard (the coordinator then skips the resolver: there is nothing to merge).
    """

    pset: PromotionSet
    item: Prepared  # by pset.prepare, once for all shards (a one-shard set: not yet encoded)
    reply: Gather[np.ndarray | Result]


async def shard_body(shard: int, receive: trio.MemoryReceiveChannel, max_batch: int = MAX_BATCH,
                     observe: BatchObserver | None = None, heavy: trio.MemorySendChannel | None = None) -> None:
    """One incarnation of shard actor ``shard``: serve ``receive`` until every sender closed,
    pricing on LIGHT_THREADS threads of its own (actors.messages.OwnThreads; they end with it).

    Does not close ``receive`` or ``heavy`` (their owner does: they outlive a crash). If pricing a
    group raises, every request of that group is failed with a 503 and the exception propagates
    (a crash) for the supervisor to restart this body.

    Cancellation: a batch already in a thread finishes there (threads cannot be interrupted);
    the requests waiting on it are not answered, their own timeouts or cancellation end them.
    """
    def price(group: list[ShardJob], work_limit: int | None) -> list[np.ndarray] | list[Result]:
        pset = group[0].pset
        if pset.n_shards == 1:  # the whole set is this shard's: both phases, the Result
            return [pset.evaluate(j.item.basket, j.item.ctx, work_limit=work_limit) for j in group]
        return pset.shard_candidates(shard, [j.item for j in group])  # no best deal in this phase

    def stage(job: ShardJob) -> Staged:  # a one-shard set's basket cut short by the light bound
        return job.pset.evaluate_staged(job.item.basket, job.item.ctx)

    with OwnThreads(f"dre-shard-{shard}", LIGHT_THREADS) as threads:
        await serve_batches(receive, threads, max_batch, price, lambda job, cands: job.reply.put(shard, cands),
                            f"shard {shard}", observe, heavy, stage)


async def start_shard(nursery: trio.Nursery, shard: int, restarts: RestartLog, *, mailbox_size: int = MAILBOX_SIZE,
                      max_batch: int = MAX_BATCH, observe: BatchObserver | None = None,
                      heavy: trio.MemorySendChannel | None = None) -> trio.MemorySendChannel:
    """Start supervised shard actor ``shard`` in the caller's ``nursery``.

    ``heavy``: the heavy lane's mailbox (actors.engine), or None to price every basket with the
    full best-deal bound here. The actor takes a clone and closes it when it ends.

    Returns:
        the send end of its mailbox. The caller hands clones of it to producers and closes its
        own; the actor stops once every clone is closed and the mailbox is drained.
        ``send.statistics()`` gives the mailbox depth for metrics.

    The supervised task owns the receive end and closes it when it ends (cancelled or done).
    """
    send, receive = mailbox(mailbox_size)
    spill = heavy.clone() if heavy is not None else None

    async def run(task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        try:
            async with receive:
                await supervise(f"shard-{shard}",
                                lambda: shard_body(shard, receive, max_batch, observe, spill),
                                restarts, task_status=task_status)
        finally:
            if spill is not None:
                spill.close()

    await nursery.start(run)
    return send


def open_shard(shard: int, restarts: RestartLog | None = None,
               **kwargs) -> AbstractAsyncContextManager[trio.MemorySendChannel]:
    """A shard actor for the duration of the block (tests, tools): yields its mailbox's send end.

    On exit the send end is closed and the actor drains what is queued before the block returns
    (:func:`actors.kit.open_actor`).
    """
    return open_actor(start_shard, shard, restarts or RestartLog(), **kwargs)
