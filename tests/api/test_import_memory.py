"""The batch article import streams its body: a worker's peak memory does not grow with the body.

Measured on a real `dre serve` (one worker, so the server is the worker) through the kernel's
peak-RSS counter (VmHWM), reset just before the upload (``/proc/PID/clear_refs`` 5). Before the
body was streamed, a 41 MiB import raised the peak by 312 MiB (the body and its parsed form);
streamed, by 21 MiB (measured 2026-12-03).
"""
from __future__ import annotations

import sys
from pathlib import Path

import httpx
import orjson
import pytest

from actors.redis_server import start_redis_server
from bench.live_server import LiveServer
from tests.api.conftest import ADMIN_KEY, KEY, TENANT

N_ARTICLES = 400_000  # ~42 MB of JSON
PEAK_GROWTH_LIMIT = 60 * 2**20  # window + a chunk + the parser and allocator slack, far below the body


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def body_pieces():
    yield b'{"articles": ['
    for start in range(0, N_ARTICLES, 10_000):
        part = orjson.dumps([{"articleNumber": f"A{i:07d}", "name": f"Article number {i} of the batch",
                              "articleGroupId": f"G{i % 50}", "price": 1.99} for i in range(start, start + 10_000)])
        yield (b"," if start else b"") + part[1:-1]
    yield b"]}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_40_mb_import_does_not_raise_the_workers_peak_memory_by_its_size(tmp_path):
    redis = start_redis_server(tmp_path / "redis", persist=False)
    server = LiveServer({"DRE_API_KEYS": f"{TENANT}:{KEY},{TENANT}:{ADMIN_KEY}:admin", "DRE_REDIS_URL": redis.url,
                         "DRE_JOB_RUNNERS": "0"}, ["--workers", "1"])
    try:
        size = sum(len(p) for p in body_pieces())
        Path(f"/proc/{server.proc.pid}/clear_refs").write_text("5")  # reset the peak
        before = peak_rss(server.proc.pid)
        r = httpx.post(server.url + "/pos/articles/import-batch", content=body_pieces(), timeout=120,
                       headers={"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"})
        growth = peak_rss(server.proc.pid) - before
        assert r.status_code == 202 and r.json()["total"] == N_ARTICLES
        print(f"body {size / 2**20:.0f} MiB: worker peak RSS +{growth / 2**20:.0f} MiB")
        assert size > 35 * 2**20
        assert growth < PEAK_GROWTH_LIMIT
    finally:
        server.stop()
        redis.stop()
