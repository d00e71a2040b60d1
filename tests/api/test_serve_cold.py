"""End to end on a fresh machine: `dre serve` with an empty numba cache answers evaluate correctly
at once, on the reference path, while its kernels compile in a child process that ends with it."""
from __future__ import annotations

import httpx
import psutil

from actors.kernel_warmup import CHILD
from bench.live_server import LiveServer
from tests.api.conftest import EXAMPLES, KEY, TENANT


def test_answers_before_the_kernels_are_compiled_and_stops_the_compile_with_it(tmp_path):
    server = LiveServer({"DRE_API_KEYS": f"{TENANT}:{KEY}", "DRE_PROMOTIONS_FILE": str(EXAMPLES / "promotions.json"),
                         "DRE_DATA_DIR": str(tmp_path / "data"), "DRE_REDIS_URL": "",
                         "DRE_KERNEL_START": "background",  # the default, but LiveServer's is wait
                         "NUMBA_CACHE_DIR": str(tmp_path / "numba")})  # empty: ~45 s of CPU to compile
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    try:
        r = httpx.post(server.url + "/pos/v2/evaluate", content=(EXAMPLES / "request.json").read_bytes(),
                       headers=headers, timeout=10)
        assert r.status_code == 200
        assert r.json()["totals"]["net"] == 23.9  # as the kernels answer (tests/api/test_serve.py)
        hb = httpx.get(server.url + "/pos/heartbeat", headers=headers, timeout=5).json()
        assert (hb["pricingPath"], hb["kernels"], hb["engine"]) == ("REFERENCE", "COMPILING", "IndexedReferenceSet")
        compiling = [p for p in psutil.Process(server.proc.pid).children(recursive=True)
                     if p.cmdline()[1:] == CHILD[1:]]
        assert len(compiling) == 1
    finally:
        code = server.stop()
    assert code == 0, server.output()[-3000:]
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in compiling)
