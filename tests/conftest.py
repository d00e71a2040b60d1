"""Session-wide fixtures. A real redis-server is started on a free port for tests that need it."""
from __future__ import annotations

import os

import pytest
import redis

from actors.redis_server import start_redis_server


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels():
    """Compile (or load from numba's cache) every kernel once, before any test prices a basket.

    A clean checkout compiles for about a minute and a half; without this the first test to price
    would pay for it inside its own timeouts.
    """
    from kernels.warmup import warmup_once

    # warmup_once: a cache compiled from other kernel sources is dropped first (numba checks only a
    # kernel's own file, so a cached caller would keep stale callees and the tests test old code)
    warmup_once(batch=True)


@pytest.fixture(autouse=True)
def kernel_status_kept():
    """Each test starts from the process's kernel status as the session found it: a test whose
    service warms up (bench.http_inprocess's) leaves it READY, and a worker that is READY builds
    its first sets on the reference path and upgrades them later (actors.engine), which a later
    test that reads the pricing path at once (tests/api/test_heartbeat.py) would see."""
    from actors.kernel_warmup import status

    state, ready_after = status.state, status.ready_after_s
    yield
    status.state, status.ready_after_s = state, ready_after


@pytest.fixture(scope="session", autouse=True)
def generous_price_deadline():
    """`dre serve` children (bench.live_server.LiveServer inherits the environment) price with a
    5 s deadline: tests check answers, not speed (see tests/api/conftest.TEST_PRICE_DEADLINE_MS)."""
    os.environ.setdefault("DRE_PRICE_DEADLINE_MS", "5000")
    yield


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One real redis-server for the whole session (tests use distinct tenants or flush)."""
    server = start_redis_server(tmp_path_factory.mktemp("redis"), persist=False)
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    """URL of the session redis, flushed before each test."""
    redis.Redis.from_url(redis_server.url).flushall()
    return redis_server.url


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    """A real 3-master Redis Cluster (no replicas) for the whole session, started on first use."""
    from actors.redis_cluster_server import start_redis_cluster

    cluster = start_redis_cluster(tmp_path_factory.mktemp("cluster"), masters=3)
    yield cluster
    cluster.stop()


@pytest.fixture
def cluster_url(redis_cluster) -> str:
    """URL of one node of the session cluster, every master flushed before each test."""
    redis_cluster.flush()
    return redis_cluster.url
