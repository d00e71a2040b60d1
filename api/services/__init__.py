"""What the routes use, held for the lifetime of a worker: store actor, engine, caches.

:class:`Services` is built by ``api.worker.open_services``; a route finds the one of its app with
:func:`current_services`. The caches it holds live here too, below every feature that uses them:
the transactionCounter source (``counters``), the exhausted budgets (``budgets``) and recent
answers (``ttl_cache``).
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from actors.engine import Engine
from actors.import_jobs import ImportJobs
from actors.jobs import JobWorker
from actors.reloader import Reloader
from actors.store import Store
from api.http.metrics import Metrics
from api.services.budgets import ExhaustedBudgets
from api.services.counters import Counters
from api.services.ttl_cache import TTLCache
from dre.config import Config
from dre.pricing import CouponCheck

if TYPE_CHECKING:
    from api.local import LocalInstance

__all__ = ["SERVICES_KEY", "Counters", "ExhaustedBudgets", "Services", "TTLCache", "current_services",
           "service_version"]


def service_version() -> str:
    try:
        return version("dre")
    except PackageNotFoundError:
        return "0.0.0+local"


@dataclass
class Services:
    """Shared state of one worker. Built by :func:`api.worker.open_services`."""

    config: Config
    engine: Engine
    store: Store  # an UnavailableStore (every call 503) when the service runs without Redis
    metrics: Metrics
    counters: Counters
    budgets: ExhaustedBudgets
    jobs: JobWorker | None = None  # the side-effects job worker (None without a store)
    side_effects_cache: TTLCache[bytes] = field(default_factory=TTLCache)  # GET .../side-effects answers
    static_coupons: dict[str, Mapping[str, CouponCheck]] = field(default_factory=dict)  # per tenant
    reloader: Reloader | None = None  # keeps the engine at the store's promotions (with a store)
    imports: ImportJobs | None = None  # the article import job actor (with a store)
    local: "LocalInstance | None" = None  # sync down / forward up (DRE_MODE=local only)
    started_monotonic: float = field(default_factory=time.monotonic)
    version: str = field(default_factory=service_version)


SERVICES_KEY = "dre"  # where the app keeps its Services (app.extensions)


def current_services() -> Services:
    """The Services of the app handling the current request."""
    from quart import current_app

    return current_app.extensions[SERVICES_KEY]
