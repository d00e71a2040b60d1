"""End to end: `dre serve` as a subprocess with an embedded Redis; evaluate over HTTP; SIGTERM."""
from __future__ import annotations

import time

import httpx
import orjson
import psutil
import pytest

from bench.live_server import LiveServer
from tests.api.conftest import EXAMPLES, KEY, OTHER_KEY, OTHER_TENANT, TENANT


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_evaluate_and_clean_shutdown(tmp_path, workers):
    server = LiveServer({"DRE_API_KEYS": f"{TENANT}:{KEY},{OTHER_TENANT}:{OTHER_KEY}",
                         "DRE_PROMOTIONS_FILE": str(EXAMPLES / "promotions.json"),
                         "DRE_DATA_DIR": str(tmp_path), "DRE_REDIS_URL": ""},
                        ["--workers", str(workers)])
    try:
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        body = (EXAMPLES / "request.json").read_bytes()
        counters = []
        for _ in range(3):
            r = httpx.post(server.url + "/pos/v2/evaluate", content=body, headers=headers, timeout=10)
            assert r.status_code == 200
            out = r.json()
            counters.append(out["meta"]["header"]["transactionCounter"])
        assert counters == [1, 2, 3]  # one Redis shared by every worker
        assert out["totals"]["net"] == 23.9 and out["meta"]["counterSource"] == "STORE"
        hb = httpx.get(server.url + "/pos/heartbeat", headers=headers, timeout=5).json()
        assert hb["btpConnectivity"] == "CONNECTED"
        redis_children = [p for p in psutil.Process(server.proc.pid).children(recursive=True)
                          if "redis-server" in p.name()]
        assert len(redis_children) == 1
    finally:
        code = server.stop()
    log = server.output()
    assert code == 0, log[-3000:]
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in redis_children)
    lines = [orjson.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(rec.get("msg") == "embedded redis-server stopped" for rec in lines)
    assert sum(rec.get("msg") == "worker stopped" for rec in lines) == workers
    assert (tmp_path / "redis" / "appendonlydir").exists() or list((tmp_path / "redis").glob("*.aof*"))


def worker_processes(server: LiveServer) -> list[psutil.Process]:
    """The HTTP workers (spawned by multiprocessing; not redis-server, not its resource tracker)."""
    return [p for p in psutil.Process(server.proc.pid).children() if "spawn_main" in " ".join(p.cmdline())]


def test_a_killed_worker_is_replaced_and_the_others_keep_serving(tmp_path):
    server = LiveServer({"DRE_API_KEYS": f"{TENANT}:{KEY}", "DRE_DATA_DIR": str(tmp_path), "DRE_REDIS_URL": "",
                         "DRE_PROMOTIONS_FILE": str(EXAMPLES / "promotions.json")}, ["--workers", "2"])
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    body = (EXAMPLES / "request.json").read_bytes()
    try:
        workers = worker_processes(server)
        assert len(workers) == 2
        workers[0].kill()  # SIGKILL, as the kernel's OOM killer would
        workers[0].wait(10)
        for _ in range(20):  # the other worker answers at once, the replacement soon after
            assert httpx.post(server.url + "/pos/v2/evaluate", content=body, headers=headers, timeout=10).status_code == 200
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = worker_processes(server)
            if len(now) == 2 and workers[0].pid not in {p.pid for p in now}:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("no replacement worker")
        assert server.proc.poll() is None  # the service never went down
    finally:
        code = server.stop()
    assert code == 0, server.output()[-3000:]
    assert "worker died: starting another" in server.output()
