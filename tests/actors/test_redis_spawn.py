"""`dre serve` starts the embedded redis-server and imports the service while it loads its data
(actors.redis_server.spawn_redis_server, then ``ready()``)."""
from __future__ import annotations

import pytest
import redis

from actors.redis_server import spawn_redis_server


def test_spawn_returns_at_once_and_ready_waits_for_ping(tmp_path):
    spawned = spawn_redis_server(tmp_path / "redis", persist=False)
    try:
        server = spawned.ready()
        assert redis.Redis.from_url(server.url).ping()
    finally:
        spawned.server.stop()
    assert spawned.server.process.poll() is not None


def test_a_server_that_cannot_start_says_why(tmp_path):
    spawned = spawn_redis_server(tmp_path / "redis", persist=False, extra=["--no-such-option", "1"])
    with pytest.raises(RuntimeError, match="redis-server exited"):
        spawned.ready()
