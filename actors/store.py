"""The store actor: the only code that talks to Redis.

Routes and other actors ``await`` its typed methods (``store.confirm(...)``,
``store.coupon_reserve(...)``, ...); each becomes one request in the actor's mailbox. Requests
waiting together are run as one Redis pipeline (see ``actors.store_core``), so many concurrent
checkouts cost few round trips. A circuit breaker (``store.breaker``) makes calls fail fast
with DREError 503 STORE_UNAVAILABLE while Redis is unreachable.

Two ways to run it (STYLE.md §2):

    async with open_store(url) as store:      # owns its nursery
        ...
    store = await start_store(nursery, url)   # lives in the caller's nursery; the caller
    ...                                       # calls ``await store.aclose()`` to stop it

Error replies of scripts map to DREError as listed in ``dre.store.replies.STATUS_BY_CODE``.
"""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

import trio

from actors.breaker import COOLDOWN_S, FAILURE_THRESHOLD, CircuitBreaker
from actors.store_core import (
    CALL_TIMEOUT_S,
    CONNECTION_ERRORS,
    MAILBOX_SIZE,
    MAX_BATCH,
    POOL_SIZE,
    StoreCore,
    mailbox,
    make_client,
)
from actors.store_ops.audit import AuditOps
from actors.store_ops.catalog import CatalogOps
from actors.store_ops.coupon_types import CouponTypeOps
from actors.store_ops.coupons import CouponOps
from actors.store_ops.imports import ImportOps
from actors.store_ops.jobs import JobOps
from actors.store_ops.ledger import LedgerOps
from actors.store_ops.transactions import TransactionOps
from dre.store.scripts import Scripts

__all__ = ["Store", "open_store", "start_store"]


class Store(TransactionOps, CouponOps, CouponTypeOps, LedgerOps, JobOps, AuditOps, CatalogOps, ImportOps,
            StoreCore):
    """The store actor's handle: typed async methods over the batching core.

    Safe to share between any number of tasks. Heartbeat: ``store.breaker.state.value``
    (closed / open / half_open) and ``store.breaker.last_ok`` (epoch seconds or None).
    """

    async def ping(self) -> bool:
        """True if Redis answers (through the actor, so the breaker sees the outcome)."""
        return bool(await self.call(lambda p: p.ping()))


async def _run_store(
    url: str,
    *,
    pool_size: int,
    mailbox_size: int,
    max_batch: int,
    call_timeout_s: float,
    breaker: CircuitBreaker,
    task_status: trio.TaskStatus[Store] = trio.TASK_STATUS_IGNORED,
) -> None:
    client = make_client(url, pool_size)
    try:
        scripts = Scripts.register(client)  # computes SHAs only
        send, receive = mailbox(mailbox_size)
        store = Store(url, client, scripts, breaker, send, max_batch, call_timeout_s)
        try:
            # Load the scripts (calls send bare EVALSHA), and a first contact so the breaker
            # starts out knowing whether Redis is there. An unreachable Redis does not stop the
            # start-up: calls answer 503 until it is back, then NOSCRIPT replies load them.
            await store.load_scripts()
            breaker.record_success()
        except CONNECTION_ERRORS as exc:
            breaker.record_failure(exc)
        async with trio.open_nursery() as actor:
            actor.start_soon(store.deadlines.run)
            async with trio.open_nursery() as workers:
                with receive:
                    for _ in range(pool_size):  # one worker per connection: pipelines in flight
                        workers.start_soon(store.worker, receive.clone())
                task_status.started(store)
            actor.cancel_scope.cancel()  # every worker ended, so no call waits any more
    finally:
        client.close()


async def start_store(
    nursery: trio.Nursery,
    url: str,
    *,
    pool_size: int = POOL_SIZE,
    mailbox_size: int = MAILBOX_SIZE,
    max_batch: int = MAX_BATCH,
    call_timeout_s: float = CALL_TIMEOUT_S,
    failure_threshold: int = FAILURE_THRESHOLD,
    cooldown_s: float = COOLDOWN_S,
) -> Store:
    """Start the store actor in ``nursery``; returns once it is ready to take calls.

    The caller closes it with ``await store.aclose()``: queued requests are still answered,
    then the workers end and their connections are closed. Cancelling ``nursery`` stops it
    too; the callers of a pipeline cut short are cancelled with it.
    """
    breaker = CircuitBreaker(failure_threshold, cooldown_s)
    return await nursery.start(
        lambda task_status: _run_store(
            url,
            pool_size=pool_size,
            mailbox_size=mailbox_size,
            max_batch=max_batch,
            call_timeout_s=call_timeout_s,
            breaker=breaker,
            task_status=task_status,
        )
    )


@asynccontextmanager
async def open_store(url: str, **options: object) -> AsyncIterator[Store]:
    """``async with open_store(url) as store``: the actor lives for the block.

    Owns its nursery; on exit (normal, error or cancellation) the mailbox is closed and the
    actor winds down before the block is left. Options as for :func:`start_store`.
    """
    async with trio.open_nursery() as nursery:
        store = await start_store(nursery, url, **options)  # type: ignore[arg-type]
        try:
            yield store
        finally:
            await store.aclose()


