"""bench.http, the evaluate-vs-echo harness, against the fake DRE (same HTTP stack as the service)."""
from __future__ import annotations

import statistics
from urllib.parse import urlsplit

import pytest

from bench import http
from tests.bench.fake_dre import API_KEY, FakeDre


@pytest.fixture(autouse=True)
def fake_dre_key(monkeypatch) -> None:
    monkeypatch.setattr(http, "API_KEY", API_KEY)


@pytest.fixture
def port(fake_dre) -> int:
    return urlsplit(fake_dre.url).port


async def test_latency_counts_from_the_schedule_and_the_peak_is_what_completes(fake_dre, port):
    fake_dre.delay_s = 0.05
    bodies = http.example_bodies(4)
    run = await http.open_loop(port, http.EVALUATE, bodies, rate=200, seconds=0.5, connections=2)

    # Two connections, 50 ms each: ~40 answers/s while 200/s were offered. The rest queue
    # (latency from their due time grows) or are dropped beyond MAX_IN_FLIGHT: none here.
    assert (run.sent, run.errors, run.dropped) == (100, 0, 0)
    assert run.ok == 100 == fake_dre.count("evaluate", 200)
    # bounded by the server (2 / 50 ms), not by the 200/s offered; how far below, depends on the machine
    assert 0 < run.throughput <= 45
    assert run.pct_ms(50) >= 500  # queued behind the slow server, not just the 50 ms it took
    assert run.pct_ms(99) >= 1000


async def test_a_round_compares_evaluate_with_echo_and_measures_each_at_80_percent(fake_dre, port):
    # evaluate only: echo answers at once. 100 ms caps evaluate at 40/s on four connections, far
    # below echo's peak even on a loaded machine (~90/s measured at load 7.5 on two cores)
    fake_dre.delay_s = 0.1
    out = await http.bench(port, overload=400, seconds=0.25, connections=4, rounds=2, pause_s=0, warmup_s=0.1)

    assert len(out["rounds"]) == 2
    for r in out["rounds"]:
        assert r["echo_peak_rps"] > r["evaluate_peak_rps"] > 0
        assert r["ratio"] == pytest.approx(r["evaluate_peak_rps"] / r["echo_peak_rps"], abs=0.002)
        assert r["at80_rate_rps"] == pytest.approx(0.8 * r["evaluate_peak_rps"], abs=0.1)
        assert r["echo_at80_rate_rps"] == pytest.approx(0.8 * r["echo_peak_rps"], abs=0.1)
        assert r["at80_p50_ms"] >= 100  # evaluate's delay shows in its latency
        assert r["at80_errors"] == 0
    # four connections at 100 ms each cap evaluate at 40/s, far below what echo does
    assert out["evaluate_peak_rps"] <= 42 and out["ratio"] < 0.8
    assert out["ratio"] == statistics.median(r["ratio"] for r in out["rounds"])
    assert fake_dre.count("echo", 200) > 0 and fake_dre.count("evaluate", 400) == 0


async def test_errors_are_counted_by_status_and_kept_out_of_the_latencies(fake_dre, port):
    fake_dre.delay_s = 0.02
    fake_dre.max_concurrency = 1  # four connections at once: the others get 503
    run = await http.open_loop(port, http.EVALUATE, http.example_bodies(4), rate=100, seconds=0.5, connections=4)

    assert run.ok == fake_dre.count("evaluate", 200) and run.ok > 0
    assert run.error_kinds == {"503": fake_dre.count("evaluate", 503)} and run.errors > 0
    assert run.ok + run.errors == run.sent == 50
    assert run.hist.get_total_count() == run.ok
    assert "errors {'503': " in http._line("evaluate", run)


async def test_a_connection_the_server_closes_after_n_requests_is_reopened(nursery):
    server = FakeDre()
    server.keep_alive_max_requests = 5
    url = await nursery.start(server.serve)
    run = await http.open_loop(urlsplit(url).port, http.EVALUATE, http.example_bodies(4), rate=100, seconds=0.5,
                               connections=1)

    # 50 requests on one connection that the server ends every 5: none lost, none an error
    assert (run.ok, run.errors, run.dropped) == (50, 0, 0)
    assert server.count("evaluate", 200) == 50


async def test_wrk_drives_both_routes_each_request_a_fresh_transaction(fake_dre):
    import trio

    from bench.wrk import find_wrk, run_wrk

    wrk, note = find_wrk(install=False)
    if wrk is None:
        pytest.skip(note)
    template = http.wrk_template()
    for path in (http.ECHO, http.EVALUATE):
        run = await trio.to_thread.run_sync(run_wrk, wrk, fake_dre.url, path, API_KEY, template, 1, 2)
        assert run.requests > 0 and run.non_2xx == 0 and run.socket_errors == 0
        assert run.ok_per_s == pytest.approx(run.requests / run.seconds)
    # evaluate answered every wrk request (wrk may stop with a few unanswered), each a new transaction
    assert 0 < fake_dre.count("evaluate", 200) <= run.requests + 2
    assert set(fake_dre.counters.values()) == {1} and len(fake_dre.counters) == fake_dre.count("evaluate", 200)
    assert fake_dre.count("echo", 200) > 0


def test_without_wrk_the_bench_says_why(monkeypatch):
    from bench import wrk

    monkeypatch.setattr(wrk.shutil, "which", lambda name: None)
    assert wrk.find_wrk(install=False) == (None, "wrk is not on PATH (install Debian's package: apt-get install wrk)")
    monkeypatch.setattr(wrk.os, "geteuid", lambda: 1000)
    found, note = wrk.find_wrk(install=True)
    assert found is None and "cannot be installed here (needs root and apt-get)" in note


async def test_max_rates_searches_evaluate_then_echo_on_the_same_service(fake_dre):
    fake_dre.delay_s = 0.0
    found = await http.max_rates(fake_dre.url, slo_p99_ms=1000, step_seconds=0.3, start_rate=20, limit_rate=30,
                                 min_requests=0, warmup_s=0.3, pause_s=0.1)

    # 20/s passes, 30/s passes, 45/s is above the limit: both end at 30/s within the SLO
    assert {name: r.max_rate for name, r in found.items()} == {"evaluate": 30, "echo": 30}
    assert fake_dre.count("echo", 200) > 0 and fake_dre.count("evaluate", 200) > 0
