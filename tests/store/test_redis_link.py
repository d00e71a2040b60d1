"""The trio connection under the store actor, against a real redis-server: replies in order with
error replies in their own slot, AUTH and db from the URL, a killed connection noticed before use."""
from __future__ import annotations

import pytest
import redis
import trio

from actors.redis_link import RedisLink
from actors.store import open_store
from actors.redis_server import free_port, start_redis_server


async def test_replies_come_back_in_order_with_errors_in_their_slot(redis_url):
    link = await RedisLink.connect(redis_url, 1.0)
    try:
        replies = await link.pipeline([("SET", "k", "v"), ("INCR", "k"), ("GET", "k"), ("RPUSH", "l", 1, 2.5),
                                       ("LRANGE", "l", 0, -1), ("EVALSHA", "0" * 40, 0)], 1.0)
    finally:
        await link.aclose()
    assert replies[0] == "OK" and replies[2] == "v" and replies[3] == 2 and replies[4] == ["1", "2.5"]
    assert isinstance(replies[1], redis.ResponseError) and "not an integer" in str(replies[1])
    assert isinstance(replies[5], redis.exceptions.NoScriptError)  # mapped as redis-py maps it


async def test_large_pipeline_spanning_many_reads(redis_url):
    link = await RedisLink.connect(redis_url, 1.0)
    try:
        value = "x" * 10_000
        replies = await link.pipeline([("SET", f"k{i}", value) for i in range(500)]
                                      + [("GET", f"k{i}") for i in range(500)], 5.0)
    finally:
        await link.aclose()
    assert replies[:500] == ["OK"] * 500 and replies[500:] == [value] * 500


async def test_db_and_password_from_the_url(tmp_path):
    server = start_redis_server(tmp_path / "r", persist=False)
    try:
        admin = redis.Redis.from_url(server.url)
        admin.config_set("requirepass", "s3cret")
        with pytest.raises(redis.AuthenticationError):  # AUTH refused (a ConnectionError: the breaker counts it)
            await RedisLink.connect(f"redis://:wrong@127.0.0.1:{server.port}/0", 1.0)
        link = await RedisLink.connect(f"redis://:s3cret@127.0.0.1:{server.port}/3", 1.0)
        try:
            assert await link.pipeline([("SET", "where", "db3")], 1.0) == ["OK"]
        finally:
            await link.aclose()
        check = redis.Redis(port=server.port, password="s3cret", db=3, decode_responses=True)
        assert check.get("where") == "db3"
        assert redis.Redis(port=server.port, password="s3cret", db=0).get("where") is None
        check.config_set("requirepass", "")
    finally:
        server.stop()


async def test_unreachable_is_a_connection_error():
    with pytest.raises(redis.ConnectionError):
        await RedisLink.connect(f"redis://127.0.0.1:{free_port()}/0", 1.0)


async def test_a_connection_killed_while_idle_is_replaced_not_used(redis_url):
    async with open_store(redis_url, pool_size=1) as store:
        assert await store.ping()
        admin = redis.Redis.from_url(redis_url)
        killed = admin.client_kill_filter(_type="normal", skipme=True)
        assert killed >= 1
        await trio.sleep(0.05)  # the FIN arrives
        # the worker's idle connection is dead: the next call must open a new one, not fail
        assert await store.transactions.next_counter("t", "T1", "{}") == 1
        assert store.breaker.state.value == "closed"


async def _serve_once(handler, task_status=trio.TASK_STATUS_IGNORED) -> None:
    """A one-connection TCP server on 127.0.0.1 that runs ``handler(stream)``; starts with its port."""
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    task_status.started(listeners[0].socket.getsockname()[1])
    stream = await listeners[0].accept()
    async with stream:
        await handler(stream)
    await listeners[0].aclose()


async def test_a_server_that_never_answers_is_a_timeout(nursery):
    async def silent(stream) -> None:
        await stream.receive_some(65536)
        await trio.sleep_forever()

    port = await nursery.start(_serve_once, silent)
    link = await RedisLink.connect(f"redis://127.0.0.1:{port}/0", 1.0)
    try:
        with pytest.raises(redis.TimeoutError):
            await link.pipeline([("GET", "k")], 0.2)
    finally:
        await link.aclose()
    nursery.cancel_scope.cancel()


async def test_a_server_closing_mid_reply_is_a_connection_error(nursery):
    async def half(stream) -> None:
        await stream.receive_some(65536)
        await stream.send_all(b"+OK\r\n")  # one reply of the two asked for, then gone

    port = await nursery.start(_serve_once, half)
    link = await RedisLink.connect(f"redis://127.0.0.1:{port}/0", 1.0)
    try:
        with pytest.raises(redis.ConnectionError, match="closed"):
            await link.pipeline([("SET", "k", "v"), ("GET", "k")], 1.0)
    finally:
        await link.aclose()
