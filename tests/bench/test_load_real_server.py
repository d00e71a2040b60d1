"""The load harness against the real service (`dre serve` subprocess, embedded Redis) for a few seconds."""
from __future__ import annotations

import orjson

from bench.config import LoadConfig, Step
from bench.live_server import LiveServer
from bench.load import execute
from tests.api.conftest import EXAMPLES, KEY, TENANT

RATE = 25  # arrivals per second: far below capacity, so every one must be answered
SECONDS = 2.0


async def test_harness_against_the_real_service(tmp_path):
    server = LiveServer({"DRE_API_KEYS": f"{TENANT}:{KEY}", "DRE_PROMOTIONS_FILE": str(EXAMPLES / "promotions.json"),
                         "DRE_DATA_DIR": str(tmp_path / "data"), "DRE_REDIS_URL": ""})
    try:
        config = LoadConfig(url=server.url, api_key=KEY, steps=(Step(RATE, SECONDS),), out_dir=tmp_path / "out",
                            timeout_s=5.0)
        report = await execute(config, progress=False)
    finally:
        assert server.stop() == 0
    assert report.scheduled == report.started == RATE * SECONDS and report.dropped == 0
    evaluate = report.operations["evaluate"]
    assert evaluate.count == report.started and evaluate.ok == evaluate.count, evaluate.outcomes
    assert report.request_errors == 0 and evaluate.latency_ms["p99"] > 0
    saved = orjson.loads((tmp_path / "out" / "report.json").read_bytes())
    assert saved["operations"]["evaluate"]["ok"] == evaluate.ok
    assert (tmp_path / "out" / "latency.png").read_bytes()[:4] == b"\x89PNG"
