"""bench.http_inprocess: the ASGI app called directly, evaluate against echo, CPU per request."""
from __future__ import annotations

import os

import orjson

from bench import http_inprocess


def test_the_inprocess_bench_prices_every_request_and_prints_each_figure_the_breakdown_and_the_floor(tmp_path,
                                                                                                    capsys):
    out = tmp_path / "figures.json"
    # any non-200 answer would have raised
    assert http_inprocess.main(["--promotions", "50", "--requests", "20", "--rounds", "2", "--concurrency", "2",
                                "--json", str(out), "--breakdown", "--floor"]) == 0
    figures = orjson.loads(out.read_bytes())
    assert len(figures["rounds"]) == 2
    for r in figures["rounds"]:
        assert r["echo_us"] > 0 and r["evaluate_us"] > 0 and r["pricing_us"] > 0
        assert r["dre_us"] == r["evaluate_us"] - r["echo_us"] - r["pricing_us"]
        assert r["dre_per_echo"] == r["dre_us"] / r["echo_us"]
        # --floor: each part measured (decoding and the store call cost something), the floor less pricing
        assert r["decode_us"] > 0 and r["counter_us"] > 0 and r["floor_us"] > 0
        assert r["floor_own_us"] == r["floor_us"] - r["pricing_us"]
        assert r["floor_own_per_echo"] == r["floor_own_us"] / r["echo_us"]
    printed = capsys.readouterr().out
    for _, label in (*http_inprocess.FIGURES, *http_inprocess.FLOOR_FIGURES):
        assert label in printed
    assert "the floor of DRE's own (floor - pricing) is" in printed
    assert (f"as shares of the same round's echo (the machine's drift cancels): DRE's own "
            f"{figures['dre_per_echo']:.2f}, floor - pricing {figures['floor_own_per_echo']:.2f}") in printed
    # --breakdown: the store actor's task, and evaluate's stretch from the engine's answer to the store call
    assert "StoreCore.worker" in printed
    assert any(line.split()[0] == "evaluate" and "actors/messages.py" in line and "-> actors/store_core.py" in line
               for line in printed.splitlines() if line.startswith("    "))
    assert http_inprocess.ECHO_ENV not in os.environ  # the echo route was for the bench's app only


async def test_the_caller_goes_through_the_apps_hooks(nursery):
    # auth is a hook of the app: without a key the ASGI call answers 401, as over a socket
    from api.app import create_app
    from api.worker import open_services
    from dre.config import load_config

    config = load_config({"DRE_API_KEYS": "other:other-key"})
    async with open_services(config, None, warm_up=False) as services:
        app = create_app(services)
        async with app.test_app():
            status, body = await http_inprocess.Caller(app).post(http_inprocess.EVALUATE, b"{}")
    assert status == 401 and orjson.loads(body)["error"]["code"] == "UNAUTHORIZED"
