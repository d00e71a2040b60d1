"""Circuit breaker: unit transitions, and against a private redis-server that is stopped and
started again."""
import pytest
import trio

from actors.breaker import BreakerState, CircuitBreaker
from actors.store import open_store
from dre.errors import DREError
from actors.redis_server import start_redis_server

OPEN_S = 3.0  # the live test's cool-down: the 100 fail-fast calls must all fall inside it, even on a
# slow machine (a probe among them would reach the stopped Redis)


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_breaker_transitions_and_single_probe():
    clock = Clock()
    b = CircuitBreaker(failure_threshold=2, cooldown_s=1.0, clock=clock)
    assert b.admit() is False and b.state is BreakerState.CLOSED
    b.record_failure(ConnectionError("x"))
    assert b.state is BreakerState.CLOSED
    b.record_failure(ConnectionError("x"))
    assert b.state is BreakerState.OPEN
    with pytest.raises(DREError) as e:
        b.admit()
    assert (e.value.status, e.value.code) == (503, "STORE_UNAVAILABLE")
    clock.t = 1.0
    assert b.state is BreakerState.HALF_OPEN
    assert b.admit() is True  # the probe
    with pytest.raises(DREError):
        b.admit()  # only one probe at a time
    b.record_failure(ConnectionError("still down"))
    assert b.state is BreakerState.OPEN
    clock.t = 2.0
    assert b.admit() is True
    b.probe_abandoned()  # its caller was cancelled: the next call may probe
    assert b.admit() is True
    b.record_success()
    assert b.state is BreakerState.CLOSED and b.last_ok is not None


async def test_breaker_opens_when_redis_stops_and_closes_when_it_is_back(tmp_path):
    server = start_redis_server(tmp_path / "r", persist=False)
    try:
        async with open_store(server.url, failure_threshold=2, cooldown_s=OPEN_S) as store:
            assert await store.ping()
            assert store.breaker.state is BreakerState.CLOSED
            ok_at = store.breaker.last_ok
            server.stop()
            for _ in range(2):
                with pytest.raises(DREError) as e:
                    await store.ping()
                assert e.value.status == 503
            assert store.breaker.state is BreakerState.OPEN
            opened = trio.current_time()  # the breaker opened at or before this (same trio clock)
            # open: calls fail at once, without touching Redis (no new pipeline); 100 of them take
            # well under one call's 5 s timeout, however slow the machine
            batches = store.core.batches
            start = trio.current_time()
            for _ in range(100):
                with pytest.raises(DREError):
                    await store.transactions.next_counter("t", "T", "{}")
            assert store.core.batches == batches and trio.current_time() - start < 2.0
            assert store.breaker.state is BreakerState.OPEN  # still cooling down: none was a probe
            server = start_redis_server(tmp_path / "r", port=server.port, persist=False)
            await trio.sleep_until(opened + OPEN_S)
            assert store.breaker.state is BreakerState.HALF_OPEN
            assert await store.ping()  # the probe succeeds and closes the breaker
            assert store.breaker.state is BreakerState.CLOSED
            assert store.breaker.last_ok > ok_at
            assert await store.transactions.next_counter("t", "T", "{}") == 1
    finally:
        server.stop()
