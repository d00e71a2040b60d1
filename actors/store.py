"""The store actor: the only code that talks to Redis.

``Store`` is a small facade: one batching core (``store.core``: the mailbox, the pipelines, the
circuit breaker; see ``actors.store_core``) and, over it, one part per kind of stored data
(``actors.store_ops``)::

    store.transactions   counters, priced iterations, confirm         (Transactions)
    store.coupons        coupon codes, reservations, a customer's codes (CouponCodes)
    store.coupon_types   coupon types                                  (CouponTypes)
    store.budgets        promotion budgets                             (Budgets)
    store.loyalty        loyalty points                                (LoyaltyPoints)
    store.idempotency    Idempotency-Keys and their first answers      (IdempotencyKeys)
    store.jobs           the side-effect job queue                     (JobQueue)
    store.audit          the calculation audit log                     (AuditLog)
    store.promotions     promotion documents and their version         (Promotions)
    store.articles       the article master                            (Articles)
    store.imports        article import jobs                           (ArticleImports)
    store.stores         store settings (time zones) and the default   (StoreSettings)

Routes and other actors ``await`` the parts' typed methods (``store.transactions.confirm(...)``,
``store.coupons.reserve(...)``, ...); each becomes one request in the actor's mailbox. Requests
waiting together are run as one Redis pipeline, so many concurrent checkouts cost few round
trips. A circuit breaker (``store.breaker``) makes calls fail fast with DREError 503
STORE_UNAVAILABLE while Redis is unreachable.

Two ways to run it (STYLE.md §2):

    async with open_store(url) as store:      # owns its nursery (actors.kit.open_actor)
        ...
    store = await start_store(nursery, url)   # lives in the caller's nursery; the caller
    ...                                       # calls ``await store.aclose()`` to stop it

A service run without Redis (``api.worker.open_services`` with no URL: tests and tools) holds an
:class:`UnavailableStore` instead: the same interface, whose every call raises the 503
STORE_UNAVAILABLE; ``store.available`` is False, so the few callers that do something else
without a store (no job workers, the heartbeat's "none") ask it rather than test for None.

Error replies of scripts map to DREError as listed in ``dre.store.replies.STATUS_BY_CODE``.
"""
from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, NoReturn

import trio

from actors.breaker import COOLDOWN_S, FAILURE_THRESHOLD, CircuitBreaker
from actors.faults import BackgroundFaults
from actors.kit import open_actor
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
from actors.store_ops.articles import Articles
from actors.store_ops.audit import AuditLog
from actors.store_ops.budgets import Budgets
from actors.store_ops.coupon_types import CouponTypes
from actors.store_ops.coupons import CodeTypes, CouponCodes
from actors.store_ops.idempotency import IdempotencyKeys
from actors.store_ops.imports import ArticleImports
from actors.store_ops.jobs import JobQueue
from actors.store_ops.loyalty import LoyaltyPoints
from actors.store_ops.promotions import Promotions
from actors.store_ops.store_settings import StoreSettings
from actors.store_ops.transactions import Transactions
from dre.store.replies import store_unavailable
from dre.store.scripts import Scripts

__all__ = ["NO_STORE", "Store", "UnavailableStore", "open_store", "start_store"]

NO_STORE = "this service runs without a store"  # the 503's message when no Redis is configured


class Store:
    """The store actor's handle: one part per kind of stored data, over one batching core.

    Safe to share between any number of tasks. Heartbeat: :attr:`circuit` (closed / open /
    half_open) and :attr:`last_ok` (epoch seconds or None).

    Attributes:
        core: the batching core every part calls through (``core.client``, the sync redis-py
            client, is for tools and tests; ``core.batches`` / ``core.requests`` count pipelines
            and requests).
        transactions, coupons, coupon_types, budgets, loyalty, idempotency, jobs, audit,
        promotions, articles, imports, stores: the parts (see the module docstring).
        faults: what failed in the background actors that use this store (actors.faults).
    """

    available = True  # False for the UnavailableStore of a service run without Redis

    def __init__(self, core: StoreCore) -> None:
        self.core = core
        self.faults = BackgroundFaults()  # background actors' failures (heartbeat)
        code_types = CodeTypes(core)  # one cache of codes' types for every part that names a code
        self.transactions = Transactions(core, code_types)
        self.coupon_types = CouponTypes(core)
        self.coupons = CouponCodes(core, self.coupon_types, code_types)
        self.budgets = Budgets(core)
        self.loyalty = LoyaltyPoints(core)
        self.idempotency = IdempotencyKeys(core)
        self.jobs = JobQueue(core)
        self.audit = AuditLog(core)
        self.promotions = Promotions(core)
        self.articles = Articles(core)
        self.imports = ArticleImports(core)
        self.stores = StoreSettings(core)

    @property
    def breaker(self) -> CircuitBreaker:
        """The circuit breaker of the core's link to Redis."""
        return self.core.breaker

    @property
    def circuit(self) -> str | None:
        """The breaker's state (closed / open / half_open); None without a store."""
        return self.breaker.state.value if self.available else None

    @property
    def last_ok(self) -> float | None:
        """When Redis last answered (epoch seconds); None if never, or without a store."""
        return self.breaker.last_ok if self.available else None

    async def ping(self) -> bool:
        """True if Redis answers (through the actor, so the breaker sees the outcome)."""
        return bool(await self.core.call(lambda p: p.ping()))

    async def aclose(self) -> None:
        """Close the mailbox: queued calls are still answered, then the workers end. Idempotent."""
        await self.core.aclose()


class _NoCore:
    """The core of a store that is not there: every call, and whatever needs the link (its
    scripts, its breaker), raises the 503."""

    def __init__(self, reason: str) -> None:
        self._reason = reason

    def _refuse(self) -> NoReturn:
        raise store_unavailable(self._reason)

    @property
    def scripts(self) -> Scripts:
        self._refuse()

    @property
    def breaker(self) -> CircuitBreaker:
        self._refuse()

    async def call(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    async def call_script(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    async def call_batched(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    async def call_group(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    async def aclose(self) -> None:
        pass


class UnavailableStore(Store):
    """The store of a service run without Redis: the same parts, every call of which raises
    DREError 503 STORE_UNAVAILABLE (``reason`` is its message). Nothing to start or stop."""

    available = False

    def __init__(self, reason: str = NO_STORE) -> None:
        super().__init__(_NoCore(reason))  # type: ignore[arg-type]


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
    scripts = Scripts.register(client)  # computes SHAs only
    send, receive = mailbox(mailbox_size)
    core = StoreCore(url, client, scripts, breaker, send, max_batch, call_timeout_s)
    try:
        store = Store(core)
        try:
            # Load the scripts (calls send bare EVALSHA), and a first contact so the breaker
            # starts out knowing whether Redis is there. An unreachable Redis does not stop the
            # start-up: calls answer 503 until it is back, then NOSCRIPT replies load them.
            await core.load_scripts()
            breaker.record_success()
        except CONNECTION_ERRORS as exc:
            breaker.record_failure(exc)
        async with trio.open_nursery() as actor:
            actor.start_soon(core.deadlines.run)
            async with trio.open_nursery() as workers:
                with receive:
                    for _ in range(pool_size):  # one worker per connection: pipelines in flight
                        workers.start_soon(core.worker, receive.clone())
                task_status.started(store)
            actor.cancel_scope.cancel()  # every worker ended, so no call waits any more
    finally:
        core.close_clients()


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


def open_store(url: str, **options: object) -> AbstractAsyncContextManager[Store]:
    """``async with open_store(url) as store``: the actor lives for the block.

    Owns its nursery (:func:`actors.kit.open_actor`); on exit (normal, error or cancellation) the
    mailbox is closed and the actor winds down before the block is left. Options as for
    :func:`start_store`.
    """
    return open_actor(start_store, url, **options)
