"""What the routes use, started for the lifetime of the app: store actor, engine, caches.

``open_services`` is the outer nursery of a worker (STYLE.md §2): the store actor, the shard
actors and the kernel warm-up live in it; the HTTP server's request handling runs inside it.
"""
from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import trio

from actors.engine import Engine, start_engine
from actors.import_jobs import ImportJobs, start_import_jobs
from actors.jobs import JobWorker
from actors.reloader import Reloader, start_reloader
from actors.side_effects import start_side_effects
from actors.store import Store, start_store
from api.budgets import ExhaustedBudgets
from api.counters import Counters
from api.metrics import Metrics
from api.ttl_cache import TTLCache
from dre.config import Config
from dre.errors import DREError
from dre.pricing import CouponCheck

log = logging.getLogger("dre.api")


def service_version() -> str:
    try:
        return version("dre")
    except PackageNotFoundError:
        return "0.0.0+local"


@dataclass
class Services:
    """Shared state of one worker. Built by :func:`open_services`."""

    config: Config
    engine: Engine
    store: Store | None
    metrics: Metrics
    counters: Counters
    budgets: ExhaustedBudgets
    jobs: JobWorker | None = None  # the side-effects job worker (None without a store)
    side_effects_cache: TTLCache[bytes] = field(default_factory=TTLCache)  # GET .../side-effects answers
    static_coupons: dict[str, Mapping[str, CouponCheck]] = field(default_factory=dict)  # per tenant
    reloader: Reloader | None = None  # keeps the engine at the store's promotions (with a store)
    imports: ImportJobs | None = None  # the article import job actor (with a store)
    started_monotonic: float = field(default_factory=time.monotonic)
    version: str = field(default_factory=service_version)


async def load_start_promotions(services: Services) -> None:
    """Apply DRE_PROMOTIONS_FILE (if set) to the first tenant; raises DREError on a bad file.

    With a store, the store is the one source of truth for every worker: the file's promotions
    (and coupon types) are written into it only while the tenant's promotions were never written
    (version 0, atomically, so workers starting together seed once), and the reloader then loads
    them like any admin write. Without a store the file is loaded into this worker directly.
    """
    path = services.config.promotions_file
    if path is None:
        return
    from dre.promotion.rules_file import load_rules

    promotions, ctx = load_rules(path)
    tenant = services.config.first_tenant
    services.static_coupons[tenant] = ctx.coupons
    if services.store is None:
        services.engine.load(tenant, promotions)
    else:
        from api.admin.seed import seed_from_file

        try:
            await seed_from_file(services.store, tenant, path, promotions)
        except DREError as exc:
            if exc.status != 503:
                raise
            # Store down at start-up: price with the file meanwhile. Its set carries version
            # LOCAL_FILE_VERSION, which the reloader keeps while the store has no rules (version
            # 0) and replaces once the store has some; the file is seeded by the next start.
            from actors.engine import build_promotion_set
            from actors.reloader import LOCAL_FILE_VERSION

            services.engine.swap(tenant, build_promotion_set(promotions, LOCAL_FILE_VERSION, services.engine.n_shards))
            log.warning("promotion file not seeded: store unavailable", extra={"error": exc.message})
    log.info("promotions loaded", extra={"tenant": tenant, "file": str(path), "count": len(promotions)})


@asynccontextmanager
async def open_services(config: Config, redis_url: str | None, *, warm_up: bool = True,
                        engine_timeout_s: float | None = None) -> AsyncIterator[Services]:
    """Start the store actor (when ``redis_url``) and the engine; yield the Services.

    Args:
        redis_url: the Redis to use (the embedded server's URL when DRE_REDIS_URL is absent); None
            runs without a store (counters local, coupons unknown) - for tests and tools.
        warm_up: compile the kernels before yielding.

    Owns its nursery. On exit the engine's mailboxes are closed (queued pricing finishes), then
    the store's (queued calls are answered), then the nursery waits for the actors to end. If
    the block raises or is cancelled, the actors are cancelled with it.
    """
    metrics = Metrics()
    async with trio.open_nursery() as nursery:
        store = await start_store(nursery, redis_url) if redis_url else None
        kwargs = {"timeout_s": engine_timeout_s} if engine_timeout_s else {}
        engine = await start_engine(nursery, config.shards, observe=metrics.observe_batch, warm_up=warm_up,
                                    **kwargs)
        jobs = await start_side_effects(nursery, config, store)
        services = Services(config, engine, store, metrics, Counters(store, config.iteration_ttl_s),
                            ExhaustedBudgets(store), jobs)
        metrics.watch_actors(lambda: (engine.mailbox_depths(), dict(engine.restarts.restarts),
                                      store.breaker.state.value if store else None))
        try:
            await load_start_promotions(services)
            if store is not None:
                tenants = config.api_keys.values()
                services.reloader = await start_reloader(nursery, store, engine, tenants)
                services.imports = await start_import_jobs(nursery, store, tenants)
            yield services
        finally:
            if jobs is not None:
                await jobs.aclose()  # first: it uses the store; jobs in flight are recovered later
            if services.imports is not None:
                await services.imports.aclose()  # a chunk in progress finishes; the rest resumes later
            if services.reloader is not None:
                await services.reloader.aclose()
            await engine.aclose()
            if store is not None:
                await store.aclose()


SERVICES_KEY = "dre"  # where the app keeps its Services (app.extensions)


def current_services() -> Services:
    """The Services of the app handling the current request."""
    from quart import current_app

    return current_app.extensions[SERVICES_KEY]
