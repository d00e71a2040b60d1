"""Resolver actor: the second pricing phase (stacking, best deal, discounts, points, upsell).

Several resolver workers share one mailbox; each drains what waits (up to ``max_batch``) and
calls ``pset.resolve`` once per promotion set on a thread of its own, with a small best-deal bound; the
few baskets cut short by it go on to the heavy lane (actors.messages.serve_batches).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trio

from actors.kit import mailbox
from actors.messages import LIGHT_THREADS, BatchObserver, Gather, OwnThreads, serve_batches
from actors.supervisor import RestartLog, supervise
from dre.pricing import Prepared, PromotionSet, Staged
from dre.pricing.result import Result

MAILBOX_SIZE = 128  # queued resolve requests shared by all resolver workers
MAX_BATCH = 32  # baskets per resolve call


@dataclass(eq=False)
class ResolveJob:
    """One basket with its merged candidates; the Result goes into ``reply`` slot 0."""

    pset: PromotionSet
    item: Prepared
    candidates: np.ndarray
    reply: Gather[Result]


async def resolver_body(receive: trio.MemoryReceiveChannel, max_batch: int = MAX_BATCH,
                        observe: BatchObserver | None = None, heavy: trio.MemorySendChannel | None = None,
                        name: str = "resolver") -> None:
    """One incarnation of a resolver worker; same contract as :func:`actors.shard.shard_body`."""
    def price(group: list[ResolveJob], work_limit: int | None) -> list[Result]:
        return group[0].pset.resolve([j.item for j in group], [j.candidates for j in group],
                                     work_limit=work_limit)

    def stage(job: ResolveJob) -> Staged:
        return job.pset.resolve_staged(job.item, job.candidates)

    with OwnThreads(f"dre-{name}", LIGHT_THREADS) as threads:
        await serve_batches(receive, threads, max_batch, price, lambda job, result: job.reply.put(0, result),
                            "resolver", observe, heavy, stage)


async def start_resolvers(nursery: trio.Nursery, workers: int, restarts: RestartLog, *,
                          mailbox_size: int = MAILBOX_SIZE,
                          max_batch: int = MAX_BATCH, observe: BatchObserver | None = None,
                          heavy: trio.MemorySendChannel | None = None) -> trio.MemorySendChannel:
    """Start ``workers`` supervised resolver workers on one mailbox in the caller's ``nursery``.

    Returns the send end of the shared mailbox, as :func:`actors.shard.start_shard`. Each worker
    owns a clone of the receive end and closes it when it ends; the original is closed here.
    ``heavy``: as for :func:`actors.shard.start_shard` (each worker holds a clone).
    """
    send, receive = mailbox(mailbox_size)
    for w in range(workers):
        mine = receive.clone()
        spill = heavy.clone() if heavy is not None else None

        async def run(mine=mine, w=w, spill=spill,
                      task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
            try:
                async with mine:
                    await supervise(f"resolver-{w}",
                                    lambda: resolver_body(mine, max_batch, observe, spill, f"resolver-{w}"),
                                    restarts, task_status=task_status)
            finally:
                if spill is not None:
                    spill.close()

        await nursery.start(run)
    receive.close()
    return send
