"""Prometheus metrics of one worker: requests and latency per route and tenant, actor mailboxes
and batches.

A registry per app (not the global one), so that several apps in one process (tests) do not
collide. Actor gauges are read at scrape time from the engine.

Request series carry the caller's ``tenant`` (empty when the request had no valid key).
:meth:`Metrics.render` for one tenant keeps that tenant's series and the process-wide ones (the
families without a tenant label: mailboxes, restarts, batch sizes, the store breaker), and drops
every series of another tenant or of no tenant.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5)  # seconds
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TENANT = "tenant"  # the label naming the tenant of a series


class _OneTenant:
    """The registry's families with only ``tenant``'s series and the process-wide ones."""

    def __init__(self, registry: CollectorRegistry, tenant: str) -> None:
        self._registry, self._tenant = registry, tenant

    def collect(self) -> Iterator[Metric]:
        for family in self._registry.collect():
            kept = Metric(family.name, family.documentation, family.type, family.unit)
            kept.samples = [s for s in family.samples if s.labels.get(TENANT, self._tenant) == self._tenant]
            yield kept


class _ActorCollector(Collector):
    def __init__(self, read: Callable[[], tuple[dict[str, int], dict[str, int], str | None]]) -> None:
        self._read = read

    def collect(self) -> Iterator:
        depths, restarts, breaker = self._read()
        g = GaugeMetricFamily("dre_actor_mailbox_depth", "messages waiting in an actor mailbox", labels=["actor"])
        for name, depth in depths.items():
            g.add_metric([name], depth)
        yield g
        c = CounterMetricFamily("dre_actor_restarts", "supervisor restarts of a crashed actor", labels=["actor"])
        for name, n in restarts.items():
            c.add_metric([name], n)
        yield c
        if breaker is not None:
            b = GaugeMetricFamily("dre_store_circuit_open", "1 when the store circuit breaker is not closed")
            b.add_metric([], 0 if breaker == "closed" else 1)
            yield b


class Metrics:
    """The metric objects; ``observe_batch`` is handed to the engine's actors."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("dre_http_requests", "HTTP requests", ["route", "method", "status", TENANT],
                                registry=self.registry)
        self.latency = Histogram("dre_http_request_duration_seconds", "HTTP request latency", ["route", TENANT],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.batches = Histogram("dre_actor_batch_size", "messages handled in one actor batch", ["actor"],
                                 buckets=BATCH_BUCKETS, registry=self.registry)
        self._batch_children: dict[str, Histogram] = {}

    def observe_batch(self, actor: str, size: int) -> None:
        child = self._batch_children.get(actor)
        if child is None:
            child = self._batch_children[actor] = self.batches.labels(actor)
        child.observe(size)

    def observe_request(self, route: str, method: str, status: int, seconds: float, tenant: str | None = None) -> None:
        """Count one answered request of ``tenant`` (None: the request named no valid key)."""
        self.requests.labels(route, method, str(status), tenant or "").inc()
        self.latency.labels(route, tenant or "").observe(seconds)

    def watch_actors(self, read: Callable[[], tuple[dict[str, int], dict[str, int], str | None]]) -> None:
        """Register a scrape-time reader of (mailbox depths, restarts, breaker state)."""
        self.registry.register(_ActorCollector(read))

    def render(self, tenant: str | None = None) -> bytes:
        """The exposition text: every series, or (``tenant`` given) that tenant's and the
        process-wide ones only."""
        return generate_latest(self.registry if tenant is None else _OneTenant(self.registry, tenant))
