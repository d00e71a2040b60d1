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
from actors.jobs import JobWorker
from actors.side_effects import start_side_effects
from actors.store import Store, start_store
from api.budgets import ExhaustedBudgets
from api.counters import Counters
from api.metrics import Metrics
from api.ttl_cache import TTLCache
from dre.config import Config
from dre.evaluate import CouponCheck

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
    started_monotonic: float = field(default_factory=time.monotonic)
    version: str = field(default_factory=service_version)


def load_start_promotions(services: Services) -> None:
    """Load DRE_PROMOTIONS_FILE (if set) into the first tenant; raises DREError on a bad file."""
    path = services.config.promotions_file
    if path is None:
        return
    from dre.offline import load_rules

    promotions, ctx = load_rules(path)
    tenant = services.config.first_tenant
    services.engine.load(tenant, promotions)
    services.static_coupons[tenant] = ctx.coupons
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
            load_start_promotions(services)
            yield services
        finally:
            if jobs is not None:
                jobs.aclose()  # first: it uses the store; jobs in flight are recovered later
            await engine.aclose()
            if store is not None:
                await store.aclose()


SERVICES_KEY = "dre"  # where the app keeps its Services (app.extensions)


def current_services() -> Services:
    """The Services of the app handling the current request."""
    from quart import current_app

    return current_app.extensions[SERVICES_KEY]
