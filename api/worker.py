"""What one worker runs for its lifetime: the actors, the :class:`~api.services.Services` over
them, and the start-up steps of the features (the promotion file's seeding, ``api.admin.seed``).

``open_services`` is the outer nursery of a worker (STYLE.md §2): the store actor, the shard
actors and the kernel warm-up live in it; the HTTP server's request handling runs inside it.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio

from actors.engine import start_engine
from actors.import_jobs import start_import_jobs
from actors.reloader import start_reloader
from actors.side_effects import start_side_effects
from actors.store import UnavailableStore, start_store
from actors.sync import QueueForCentral
from api.admin.seed import load_start_promotions
from api.http.metrics import Metrics
from api.central.lease_expiry import start_lease_sweeper
from api.local import start_local
from api.services import Counters, ExhaustedBudgets, Services
from dre.config import Config
from dre.promotion.cache import PromotionCache


@asynccontextmanager
async def open_services(config: Config, redis_url: str | None, *, warm_up: bool = True,
                        engine_timeout_s: float | None = None, hold_upgrades: bool = False) -> AsyncIterator[Services]:
    """Start the store actor (when ``redis_url``) and the engine; yield the Services.

    Args:
        redis_url: the Redis to use (the embedded server's URL when DRE_REDIS_URL is absent); None
            runs without a store (an UnavailableStore: counters local, coupons unknown, every
            store-only route 503) - for tests and tools.
        warm_up: make the kernels ready: before yielding, or in the background
            (DRE_KERNEL_START).
        hold_upgrades: build no compiled set before ``services.engine.serving()`` (start_engine).

    Owns its nursery. On exit the engine's mailboxes are closed (queued pricing finishes), then
    the store's (queued calls are answered), then the nursery waits for the actors to end. If
    the block raises or is cancelled, the actors are cancelled with it.
    """
    metrics = Metrics()
    async with trio.open_nursery() as nursery:
        store = (await start_store(nursery, redis_url, call_timeout_s=config.store_deadline_ms / 1000)
                 if redis_url else UnavailableStore())
        timeout_s = engine_timeout_s or config.price_deadline_ms / 1000  # DRE_PRICE_DEADLINE_MS
        # DRE_KERNEL_START=background (the default): serve at once on the reference path while
        # the kernels compile (actors.kernel_warmup); wait: only once they are loaded
        engine = await start_engine(nursery, config.shards, observe=metrics.observe_batch, warm_up=warm_up,
                                    kernels_in_background=config.kernel_start == "background", timeout_s=timeout_s,
                                    hold_upgrades=hold_upgrades)
        # a local instance runs no effects itself: its jobs queue each confirm for central, in order
        jobs = await start_side_effects(nursery, config, store, QueueForCentral(store) if config.local else None)
        services = Services(config, engine, store, metrics, Counters(store, config.iteration_ttl_s),
                            ExhaustedBudgets(store), jobs)
        metrics.watch_actors(lambda: (engine.mailbox_depths(), dict(engine.restarts.restarts), store.circuit))
        sweeper = None
        try:
            parsed = await load_start_promotions(services)
            if store.available:
                tenants = config.tenants
                services.reloader = await start_reloader(nursery, store, engine, tenants, parsed=parsed,
                                                         cache=PromotionCache.in_data_dir(config.data_dir))
                services.imports = await start_import_jobs(nursery, store, tenants)
            if config.local and store.available:
                services.local = await start_local(nursery, config, store)
            if not config.local and store.available and config.lease_fraction > 0:
                sweeper = await start_lease_sweeper(nursery, services)  # expired budget leases come back
            yield services
        finally:
            if sweeper is not None:
                await sweeper.aclose()
            if services.local is not None:
                await services.local.aclose()
            if jobs is not None:
                await jobs.aclose()  # first: it uses the store; jobs in flight are recovered later
            if services.imports is not None:
                await services.imports.aclose()  # a chunk in progress finishes; the rest resumes later
            if services.reloader is not None:
                await services.reloader.aclose()
            await engine.aclose()
            await store.aclose()
