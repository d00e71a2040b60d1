"""Redis that answers but cannot serve: out of memory, a read-only replica, loading its data.

Each is produced for real on a private redis-server. Every such reply must reach the caller as
503 STORE_UNAVAILABLE (never a bare redis error, which the API would answer with 500), count as a
failure for the breaker, write nothing, and the breaker must close by itself once Redis serves again.
"""
from __future__ import annotations

import socket
import subprocess
import time

import pytest
import redis
import trio

from actors.breaker import BreakerState
from actors.redis_server import free_port, redis_server_binary, start_redis_server
from actors.store import open_store
from actors.store_core import is_store_fault
from dre.errors import DREError
from dre.store import keys
from dre.store.records import BudgetUse

TENANT = "acme"


@pytest.fixture
def server(tmp_path):
    s = start_redis_server(tmp_path / "main", persist=False)
    yield s
    s.stop()


async def refused_with_503(call) -> DREError:
    with pytest.raises(DREError) as err:
        await call()
    assert (err.value.status, err.value.code) == (503, "STORE_UNAVAILABLE"), err.value
    return err.value


async def wait_until_closed(store, attempt, limit_s: float = 15.0) -> None:
    """Call ``attempt`` until it succeeds: the breaker lets a probe through after its cool-down."""
    deadline = trio.current_time() + limit_s
    while True:
        try:
            await attempt()
            break
        except DREError as err:
            assert err.status == 503
            if trio.current_time() > deadline:
                raise
            await trio.sleep(0.2)
    assert store.breaker.state is BreakerState.CLOSED


async def test_out_of_memory_is_a_503_that_writes_nothing_and_heals(server):
    raw = redis.Redis.from_url(server.url)
    async with open_store(server.url) as store:
        await store.transactions.next_counter(TENANT, "T0", "{}")  # scripts loaded, one write done
        raw.config_set("maxmemory-policy", "noeviction")
        raw.config_set("maxmemory", 1)  # below what is used: every write is refused with OOM
        try:
            await refused_with_503(lambda: store.transactions.next_counter(TENANT, "T1", "{}"))
            err = await refused_with_503(
                lambda: store.transactions.confirm(TENANT, "T0", 1, customer_id="C", promotions=[BudgetUse("P1", 100)],
                                                   coupons=[], answer="{}", job_payload="{}"))
            assert any(w in (store.breaker.last_error or "") for w in ("OOM", "OutOfMemory")), err  # Redis 6, 7
            assert store.breaker.state is not BreakerState.CLOSED  # counted as failures
            assert raw.exists(keys.txn_counter(TENANT, "T1")) == 0
            assert raw.exists(keys.txn_confirmed(TENANT, "T0")) == 0
            assert raw.exists(keys.budget(TENANT, "P1")) == 0
        finally:
            raw.config_set("maxmemory", 0)
        await wait_until_closed(store, lambda: store.transactions.next_counter(TENANT, "T1", "{}"))
        assert int(raw.get(keys.txn_counter(TENANT, "T1"))) == 1


async def test_a_read_only_replica_is_a_503_and_the_master_is_untouched(server, tmp_path):
    replica = start_redis_server(tmp_path / "replica", persist=False)
    try:
        redis.Redis.from_url(replica.url).replicaof("127.0.0.1", server.port)
        async with open_store(replica.url) as store:
            await refused_with_503(lambda: store.transactions.next_counter(TENANT, "T1", "{}"))
            await refused_with_503(lambda: store.transactions.next_counter(TENANT, "T1", "{}"))
            assert "READONLY" in (store.breaker.last_error or "").upper()
            assert store.breaker.state is not BreakerState.CLOSED
        assert redis.Redis.from_url(server.url).exists(keys.txn_counter(TENANT, "T1")) == 0
    finally:
        replica.stop()


@pytest.fixture
def loading_server(tmp_path):
    """A redis-server still loading a few MB of data (slowed down by key-load-delay).

    Meanwhile it answers LOADING at the points where it serves clients during the load (every
    2 MB in Redis 6.2), and nothing in between: a call may get LOADING or time out.
    """
    seed = start_redis_server(tmp_path, persist=False)
    raw = redis.Redis.from_url(seed.url)
    for start in range(0, 120_000, 2000):  # (DEBUG POPULATE is off by default in Redis 7)
        raw.mset({f"k:{i}": b"v" * 64 for i in range(start, start + 2000)})
    raw.save()
    seed.stop()
    port = free_port()
    proc = subprocess.Popen([redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path),
                             "--dbfilename", "dump.rdb", "--appendonly", "no", "--save", "",
                             "--key-load-delay", "40"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:  # listening (it listens before it loads)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.02)
    yield f"redis://127.0.0.1:{port}/0"
    proc.kill()
    proc.wait()


async def test_a_loading_server_is_a_503_not_a_success_for_the_breaker(loading_server):
    async with open_store(loading_server, call_timeout_s=4.0) as store:
        await refused_with_503(lambda: store.transactions.next_counter(TENANT, "T1", "{}"))
        assert store.breaker.last_ok is None  # neither a LOADING reply nor a timeout is a success
        assert store.breaker.last_error is not None


@pytest.mark.parametrize("reply", [
    redis.BusyLoadingError("Redis is loading the dataset in memory"),
    redis.ReadOnlyError("You can't write against a read only replica."),
    redis.exceptions.OutOfMemoryError("command not allowed when used memory > 'maxmemory'."),
    redis.exceptions.MovedError("3999 127.0.0.1:6381"),
    redis.ResponseError("Error running script (call to f_1): @user_script:9: -OOM command not allowed when used "
                        "memory > 'maxmemory'."),
    redis.ResponseError("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist"),
])
def test_fault_replies_are_recognised(reply):
    assert is_store_fault(reply)


def test_a_script_error_of_ours_is_no_fault():
    assert not is_store_fault(redis.ResponseError("BUDGET_EXHAUSTED\tP1\tamount"))
    assert not is_store_fault(redis.ResponseError("WRONGTYPE Operation against a key holding the wrong kind"))


@pytest.mark.parametrize("reply", [
    redis.ConnectionError("Connection closed by server."),  # one cluster node's pipeline broke
    redis.ResponseError("NOREPLICAS the write reached 0 replicas within 500 ms"),  # a durable write
], ids=["node-connection", "noreplicas"])
async def test_a_cluster_node_failing_under_one_call_leaves_its_outcome_unknown(server, reply, monkeypatch):
    """On a cluster one node's failure comes back as that call's reply, not as the batch's
    exception (actors.redis_cluster): the call may have run, so an Idempotency-Key's claim must be
    kept for the retry (operation.outcome_unknown), as when a single node's connection breaks."""
    from actors import operation

    async with open_store(server.url) as store:
        async def one_node_failed(link, batch):
            # it ran (sent as a cluster link sends: no reply is handed over before the end)...
            await link.pipeline([r.args for r in batch], 3.0)
            return [reply] * len(batch)  # ...and the node's reply is lost

        monkeypatch.setattr(store.core, "_run_pipeline", one_node_failed)
        op, token = operation.begin(TENANT, "/pos/confirm", "K1", "body")
        try:
            await refused_with_503(lambda: store.transactions.next_counter(TENANT, "T1", "{}"))
        finally:
            operation.end(token)
        assert op.outcome_unknown
