"""The load harness against a fake DRE on 127.0.0.1: counts, open loop, drops, outputs, search."""
from __future__ import annotations

import io
import math
import random
import threading
from dataclasses import replace

import matplotlib.image
import orjson
import pytest
import trio
from rich.console import Console
from tests.bench.fake_dre import API_KEY, FakeDre

from bench import Arrival, Flow, LoadConfig, SearchConfig, constant, find_max_rate, ramp, run_load
from bench.flows import Planner
from bench.load import execute, main
from bench.recorder import OP_EVALUATE, Recorder, mean_us, new_histogram, summarize, value_at_percentile
from bench.report import build_report
from bench.schedule import arrivals
from bench.http_client import HttpClient, Reply
from bench.target import ForeignHostError, Target
from dre.wire.evaluate import EvaluateRequestBody

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def config(url: str, **kw) -> LoadConfig:
    kw.setdefault("steps", constant(50, 1.0))
    return LoadConfig(url=url, api_key=kw.pop("api_key", API_KEY), **kw)


# --- pure parts -------------------------------------------------------------------------------

def test_uniform_ramp_schedules_rate_times_seconds_per_step():
    dues = list(arrivals(ramp([50, 100], 1.0), Arrival.UNIFORM, seed=1))
    assert [sum(d.step == i for d in dues) for i in (0, 1)] == [50, 100]
    assert [d.seq for d in dues] == list(range(150))
    offsets = [d.offset_s for d in dues]
    assert offsets == sorted(offsets) and offsets[0] == 0.0 and offsets[-1] < 2.0
    assert all(1.0 <= d.offset_s < 2.0 for d in dues if d.step == 1)


def test_poisson_schedule_is_seeded_and_near_the_rate():
    a = [d.offset_s for d in arrivals(constant(1000, 2.0), Arrival.POISSON, seed=7)]
    b = [d.offset_s for d in arrivals(constant(1000, 2.0), Arrival.POISSON, seed=7)]
    assert a == b
    assert abs(len(a) - 2000) < 4 * math.sqrt(2000)  # within 4 sigma of a Poisson count


def test_baskets_are_contract_valid_seeded_and_varied():
    cfg = config("http://127.0.0.1:1", flow=Flow.EVALUATE_CONFIRM, coupon_fraction=0.25,
                 coupon_codes=("C1", "C2"), seed=42)
    planner = Planner(cfg, run_id="r1")
    plans = [planner.plan(seq) for seq in range(400)]
    sizes, weighed, coupons = set(), 0, 0
    for plan in plans:
        assert plan.scans == tuple(sorted(set(plan.scans))) and plan.scans[-1] == len(plan.lines)
        assert 1 <= len(plan.scans) <= 3
        for scan in range(len(plan.scans)):
            body = plan.evaluate_body(scan)
            req = EvaluateRequestBody.model_validate(body).request  # the project's own wire model
            assert req.header.transactionId == plan.transaction_id and req.header.storeId.startswith("S")
            assert [i.lineReference for i in req.items] == [str(n + 1) for n in range(plan.scans[scan])]
            assert bool(req.coupons) == (plan.coupon is not None and scan == len(plan.scans) - 1)
        for item in plan.evaluate_body(len(plan.scans) - 1)["request"]["items"]:
            assert item["articleNumber"][0] == "A" and len(item["articleNumber"]) == 7
            assert item["articleGroupId"][0] == "G" and 0.29 <= item["unitPrice"] <= 99.99
            weighed += isinstance(item["quantity"], float)
        sizes.add(len(plan.lines))
        coupons += plan.coupon is not None
        assert plan.confirm_body(2) == {"request": {"header": {"transactionId": plan.transaction_id,
                                                               "transactionCounter": 2}}}
    assert min(sizes) == 1 and max(sizes) > 25 and all(s <= 40 for s in sizes)
    assert weighed > 0  # some 3-decimal weighed quantities
    assert 0.15 < coupons / len(plans) < 0.35
    assert {p.coupon for p in plans} - {None} == {"C1", "C2"}
    # Same seed and arrival number, same basket; another seed, another basket.
    assert Planner(cfg, "r2").plan(5).lines == plans[5].lines
    assert Planner(replace(cfg, seed=43), "r1").plan(5).lines != plans[5].lines


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "http://", "http://u:p@127.0.0.1/", "http://127.0.0.1/?a=1"])
def test_target_rejects_unusable_urls(url):
    with pytest.raises(ValueError):
        Target.parse(url)


async def test_client_refuses_any_other_host_or_port_before_connecting():
    target = Target.parse("http://127.0.0.1:9")
    async with HttpClient(target, API_KEY, connections=1, timeout_s=1) as client:
        for foreign in ("http://203.0.113.7/pos/v2/evaluate", "http://127.0.0.1:10/", "https://127.0.0.1:9/",
                        "pos/v2/evaluate", "//203.0.113.7/x"):
            with pytest.raises(ForeignHostError):
                await client.post(foreign, b"{}")
        assert client.opened == 0


async def test_redirects_are_reported_not_followed(fake_dre):
    async with HttpClient(Target.parse(fake_dre.url), API_KEY, connections=1, timeout_s=2) as client:
        reply = await client.get("/redirect")
        assert (reply.outcome, reply.status) == ("302", 302)
        assert (await client.get(fake_dre.url + "/redirect")).status == 302  # the target's own absolute URL


class VirtualDre:
    """An in-process stand-in for the HTTP client: answers every POST after ``delay_s`` of trio time."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.sent: list[float] = []  # trio time of each request

    async def post(self, path: str, body: bytes) -> Reply:
        self.sent.append(trio.current_time())
        await trio.sleep(self.delay_s)
        answer = {"meta": {"header": {"transactionId": "T", "transactionCounter": 1}}}
        return Reply("200", orjson.dumps(answer), trio.current_time())


async def test_schedule_is_exact_in_virtual_time(autojump_clock):
    # With a virtual clock the open loop is checked exactly, whatever the machine's load.
    client = VirtualDre(delay_s=1.0)
    t0 = trio.current_time()
    report = await run_load(config("http://127.0.0.1:1", steps=constant(10, 2.0)), client=client)
    assert [round(t - t0, 6) for t in client.sent] == [round(k / 10, 6) for k in range(20)]
    assert (report.started, report.dropped, report.max_lag_ms) == (20, 0, 0.0)
    lat = report.operations["evaluate"].latency_ms
    assert lat["p50"] == pytest.approx(1000, rel=1e-3) and lat["max"] == pytest.approx(1000, rel=1e-3)
    assert report.elapsed_s == pytest.approx(2.9)  # last arrival at 1.9 s + 1 s answer


async def test_in_flight_cap_is_exact_in_virtual_time(autojump_clock):
    client = VirtualDre(delay_s=5.0)
    report = await run_load(config("http://127.0.0.1:1", steps=constant(10, 2.0), max_in_flight=3), client=client)
    # Three flows start at 0, 0.1, 0.2 s and hold their slots past the end: the other 17 drop.
    assert (report.started, report.dropped, len(client.sent)) == (3, 17, 3)
    assert report.steps[0].dropped == 17 and report.operations["flow"].outcomes == {"200": 3}


async def test_drain_ends_the_run_exactly_in_virtual_time(autojump_clock):
    # Answers take 10 s; the run ends at the schedule's end (0.5 s) plus the drain grace (0.2 s).
    report = await run_load(config("http://127.0.0.1:1", steps=constant(10, 0.5), drain_s=0.2),
                            client=VirtualDre(delay_s=10.0))
    assert (report.started, report.cancelled_flows) == (5, 5)
    assert report.operations["flow"].outcomes == {"cancelled": 5}
    assert report.elapsed_s == pytest.approx(0.7)


# --- runs against the fake server --------------------------------------------------------------

async def test_evaluate_confirm_run_counts_and_outputs(fake_dre, tmp_path):
    cfg = config(fake_dre.url, steps=constant(60, 1.0), flow=Flow.EVALUATE_CONFIRM, coupon_fraction=0.3,
                 interval_s=0.5, out_dir=tmp_path)
    report = await execute(cfg, progress=False)

    assert (report.scheduled, report.started, report.dropped, report.cancelled_flows) == (60, 60, 0, 0)
    evaluates, confirms = report.operations["evaluate"], report.operations["confirm"]
    # Every request the report counts, the server received, and all were valid (200).
    assert evaluates.outcomes == {"200": fake_dre.count("evaluate")} and evaluates.ok == fake_dre.count("evaluate", 200)
    assert confirms.outcomes == {"200": 60} == {"200": fake_dre.count("confirm", 200)}
    assert 60 <= evaluates.count <= 3 * 60 and evaluates.count > 60  # some lanes scanned more than once
    assert report.requests == evaluates.count + 60 and report.request_errors == 0
    assert report.coupon_flows == fake_dre.coupon_evaluates and 0 < report.coupon_flows < 60
    assert report.achieved_rate == report.target_rate == 60.0
    lat = report.operations["flow"].latency_ms
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p99.9"] <= lat["max"]

    data = orjson.loads((tmp_path / "report.json").read_bytes())
    assert data["operations"]["confirm"]["outcomes"] == {"200": 60}
    assert data["steps"][0]["scheduled"] == 60 and data["steps"][0]["operations"]["confirm"]["ok"] == 60
    assert len(data["timeline"]) >= 2 and sum(r["started"] for r in data["timeline"]) == 60
    png = tmp_path / "latency.png"
    assert png.read_bytes()[:8] == PNG_MAGIC
    height, width, _ = matplotlib.image.imread(png).shape
    assert height > 300 and width > 300


async def test_open_loop_keeps_the_schedule_when_the_server_is_slow(fake_dre):
    # 1 s answers: every request sent in the 1 s schedule is still in the server when the last
    # arrives, so the overlap below stays large even when a loaded machine delivers them late
    fake_dre.delay_s = 1.0
    cfg = config(fake_dre.url, steps=constant(100, 1.0), max_in_flight=500, connections=500)
    report = await run_load(cfg)

    # A closed loop would have waited for answers; open loop starts all 100 on time regardless.
    assert (report.scheduled, report.started, report.dropped) == (100, 100, 0)
    assert report.achieved_rate == 100.0 and fake_dre.count("evaluate", 200) == 100
    assert fake_dre.peak_active >= 20  # up to all 100 at once (a closed loop: 1)
    # Latency from the schedule includes the server's delay.
    assert report.operations["evaluate"].latency_ms["p50"] >= 1000


async def test_in_flight_cap_drops_and_counts_arrivals(fake_dre):
    fake_dre.delay_s = 0.25
    cfg = config(fake_dre.url, steps=constant(100, 1.0), max_in_flight=5)
    report = await run_load(cfg)

    assert report.scheduled == 100 and report.started + report.dropped == 100
    # 5 at a time for >= 0.25 s each over 1 s: at most 5 + 20 starts, everything else dropped.
    assert 5 <= report.started <= 25 and report.dropped >= 75
    assert fake_dre.peak_active <= 5 and fake_dre.count("evaluate") == report.started
    assert report.operations["flow"].outcomes == {"200": report.started}


async def test_ramp_reports_each_step_with_live_progress(fake_dre):
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system=None, width=140)
    report = await execute(config(fake_dre.url, steps=ramp([40, 80], 0.5), interval_s=0.25), console=console)
    text = out.getvalue()
    assert "DRE load: evaluate" in text and "p99 so far" in text  # the live table was drawn
    assert "per step" in text and "achieved 60.0/s" in text  # the summary
    assert [(s.target_rate, s.scheduled, s.started) for s in report.steps] == [(40, 20, 20), (80, 40, 40)]
    assert [s.operations["evaluate"].ok for s in report.steps] == [20, 40]
    assert report.target_rate == 60.0


async def test_errors_are_counted_by_status(fake_dre):
    report = await run_load(config(fake_dre.url, api_key="wrong", steps=constant(20, 0.5)))
    assert report.operations["evaluate"].outcomes == {"401": 10}
    assert report.request_errors == 10 and report.operations["evaluate"].latency_ms["p99"] is None
    assert report.operations["flow"].errors == 10 and report.server_errors == 0


async def test_flows_still_running_after_the_drain_are_cancelled_and_counted(fake_dre):
    fake_dre.delay_s = 10.0  # the answers (and the 10 s request timeout) come long after the drain
    report = await run_load(config(fake_dre.url, steps=constant(10, 0.5), drain_s=0.2))
    assert report.started == 5 and report.cancelled_flows == 5
    assert report.operations["flow"].outcomes == {"cancelled": 5}
    # 0.7 s (0.5 s schedule + 0.2 s drain, exact in virtual time above), generous for a slow
    # machine; a run that waited for its flows would take over 10 s
    assert report.elapsed_s < 5.0


# --- max-rate search ---------------------------------------------------------------------------

def fake_report(cfg: LoadConfig, p99_ms: float):
    """A real LoadReport built from a recorder holding ``rate`` evaluates of ``p99_ms``."""
    rec = Recorder(1)
    n = int(cfg.steps[0].rate * cfg.steps[0].seconds)
    for _ in range(n):
        rec.arrival_started(0, 0.0)
        rec.record(OP_EVALUATE, 0, p99_ms / 1000, "200")
    return build_report(cfg, rec, [n], "", cfg.steps[0].seconds)


async def test_max_rate_search_grows_then_bisects():
    tried = []

    async def trial(cfg: LoadConfig):
        rate = cfg.steps[0].rate
        tried.append(rate)
        return fake_report(cfg, p99_ms=rate / 10)  # latency grows with rate: the SLO holds to 300/s

    # SLO 30.5: HDR reports a recorded 30 ms as 30.0xx (3 significant digits).
    search = SearchConfig(slo_p99_ms=30.5, start_rate=100, factor=2, step_seconds=1, refine=3, cooldown_s=0,
                          warmup_s=0, retries=0)
    result = await find_max_rate(config("http://127.0.0.1:1"), search, trial=trial)
    assert tried == [100, 200, 400, 300, 350, 325]
    assert result.max_rate == 300 and result.p99_ms == pytest.approx(30, rel=0.01)
    assert [t.passed for t in result.trials] == [True, True, False, True, False, False]
    assert "SLO" in result.trials[2].reason


async def test_max_rate_search_goes_down_when_the_start_rate_fails():
    tried = []

    async def trial(cfg: LoadConfig):
        rate = cfg.steps[0].rate
        tried.append(rate)
        return fake_report(cfg, p99_ms=rate / 10)  # the SLO holds to 30/s

    search = SearchConfig(slo_p99_ms=3.05, start_rate=100, factor=2, step_seconds=1, refine=3, cooldown_s=0,
                          min_rate=10, warmup_s=0, retries=1)
    result = await find_max_rate(config("http://127.0.0.1:1"), search, trial=trial)
    # 100, 50 fail (not re-tried: nothing has passed yet); 25 passes; then bisect between 25 and
    # 50, where a fail is re-tried once
    assert tried == [100, 50, 25, 37.5, 37.5, 31.25, 31.25, 28.125]
    assert result.max_rate == 28.125
    assert [(t.passed, t.retry) for t in result.trials] == [
        (False, False), (False, False), (True, False), (False, False), (False, True), (False, False), (False, True),
        (True, False)]

    tried.clear()
    search = SearchConfig(slo_p99_ms=0.5, start_rate=100, factor=2, step_seconds=1, cooldown_s=0, min_rate=20,
                          warmup_s=0, retries=0)
    result = await find_max_rate(config("http://127.0.0.1:1"), search, trial=trial)
    assert tried == [100, 50, 25] and result.max_rate is None  # nothing down to min_rate holds


async def test_max_rate_search_warms_up_unjudged_and_re_tries_a_failed_trial_once():
    tried, hiccups = [], {200}  # one stall at 200/s: its first trial fails, its re-try passes

    async def trial(cfg: LoadConfig):
        rate, seconds = cfg.steps[0].rate, cfg.steps[0].seconds
        tried.append((rate, seconds))
        if rate in hiccups:
            hiccups.discard(rate)
            return fake_report(cfg, p99_ms=500)
        return fake_report(cfg, p99_ms=rate / 10)  # the SLO holds to 300/s

    search = SearchConfig(slo_p99_ms=30.5, start_rate=100, factor=2, step_seconds=1, refine=1, cooldown_s=0,
                          warmup_s=0.5, min_requests=0)
    result = await find_max_rate(config("http://127.0.0.1:1"), search, trial=trial)
    # the warm-up (0.5 s at the start rate) is run, not judged; 200 fails, is re-tried and passes,
    # so the growth goes on; 400 fails twice (a ceiling, not a hiccup); one bisection: 300 passes
    assert tried == [(100, 0.5), (100, 1), (200, 1), (200, 1), (400, 1), (400, 1), (300, 1)]
    assert [(t.rate, t.passed, t.retry) for t in result.trials] == [
        (100, True, False), (200, False, False), (200, True, True), (400, False, False), (400, False, True),
        (300, True, False)]
    assert result.max_rate == 300


async def test_a_trial_at_a_low_rate_runs_long_enough_for_its_p99():
    seconds = {}

    async def trial(cfg: LoadConfig):
        seconds[cfg.steps[0].rate] = cfg.steps[0].seconds
        return fake_report(cfg, p99_ms=1)

    search = SearchConfig(slo_p99_ms=20, start_rate=5, factor=4, limit_rate=320, step_seconds=3, cooldown_s=0,
                          warmup_s=0, refine=0, min_requests=200, max_trial_s=20)
    await find_max_rate(config("http://127.0.0.1:1"), search, trial=trial)
    # 200 arrivals at least, but no trial over 20 s, nor under --step-seconds
    assert seconds == {5: 20, 20: 10, 80: 3, 320: 3}


def test_a_trial_failed_by_errors_names_their_kinds_and_the_generator_s_lag():
    from bench.maxrate import judge

    cfg = config("http://127.0.0.1:1", steps=constant(10, 1.0))
    rec = Recorder(1)
    for i, outcome in enumerate(["200"] * 6 + ["503", "503", "timeout", "200"]):
        rec.arrival_started(0, 0.0025 * (i == 3))  # the generator started one arrival 2.5 ms late
        rec.record(OP_EVALUATE, 0, 0.001, outcome)
    verdict = judge(build_report(cfg, rec, [10], "", 1.0), SearchConfig(slo_p99_ms=20))
    assert not verdict.passed and verdict.reason == "3/10 requests failed (503: 2, timeout: 1)"
    assert verdict.max_lag_ms == 2.5  # shown beside the verdict: how late the generator itself was


# --- the CLI entry point -----------------------------------------------------------------------

def serve_in_thread(server: FakeDre):
    """Run ``server`` in its own trio loop on a thread (``main`` runs trio in this one)."""
    ready, stop = threading.Event(), None

    async def run():
        nonlocal stop
        async with trio.open_nursery() as nursery:
            server.url = await nursery.start(server.serve)
            stop = (trio.lowlevel.current_trio_token(), nursery.cancel_scope)
            ready.set()

    thread = threading.Thread(target=trio.run, args=(run,), daemon=True)
    thread.start()
    assert ready.wait(10)

    def shutdown():
        token, scope = stop
        trio.from_thread.run_sync(scope.cancel, trio_token=token)
        thread.join(5)

    return shutdown


def test_cli_run_and_max_rate_search(tmp_path, capsys):
    server = FakeDre()
    shutdown = serve_in_thread(server)
    try:
        code = main(["--url", server.url, "--api-key", API_KEY, "--rate", "40", "--duration", "0.5",
                     "--flow", "evaluate-confirm", "--coupon-fraction", "0.5", "--out", str(tmp_path / "run"),
                     "--no-progress", "--label", "build=test"])
        assert code == 0
        data = orjson.loads((tmp_path / "run" / "report.json").read_bytes())
        assert data["started"] == 20 and data["operations"]["confirm"]["ok"] == 20
        assert data["labels"] == {"build": "test"}
        assert (tmp_path / "run" / "latency.png").read_bytes()[:8] == PNG_MAGIC

        code = main(["--url", server.url, "--api-key", API_KEY, "--max-rate", "--slo-p99-ms", "10000",
                     "--start-rate", "20", "--factor", "3", "--limit-rate", "100", "--step-seconds", "0.5",
                     "--cooldown", "0", "--warmup", "0.2", "--retries", "1", "--min-requests", "0",
                     "--out", str(tmp_path / "search")])
        assert code == 0
        found = orjson.loads((tmp_path / "search" / "maxrate.json").read_bytes())
        assert [t["rate"] for t in found["trials"]] == [20, 60] and found["max_rate"] == 60
        assert (tmp_path / "search" / "maxrate.png").read_bytes()[:8] == PNG_MAGIC
    finally:
        shutdown()
    out = capsys.readouterr().out
    assert "achieved 40.0/s" in out and "max sustainable rate" in out


def test_cli_rejects_a_bad_url_without_sending(capsys):
    assert main(["--url", "ftp://127.0.0.1/", "--api-key", "k"]) == 2
    assert "http:// or https://" in capsys.readouterr().err


def test_cli_max_idle_reaches_the_client_and_must_be_above_zero(capsys):
    from bench.http_client import MAX_IDLE_S
    from bench.load import build_parser, config_from_args
    from bench.runner import open_client

    flags = ["--url", "http://127.0.0.1:1", "--api-key", "k"]
    config = config_from_args(build_parser().parse_args([*flags, "--max-idle", "4"]))
    assert config.max_idle_s == 4 and open_client(config).max_idle_s == 4
    assert open_client(config_from_args(build_parser().parse_args(flags))).max_idle_s == MAX_IDLE_S
    assert main([*flags, "--max-idle", "0"]) == 2
    assert "max_idle_s must be above 0" in capsys.readouterr().err


def test_max_idle_default_stays_inside_the_services_keep_alive():
    # a pooled connection reused after the service closed it idle loses its request: the default
    # must stay below api.serve's timer, and the flag's help must name that timer as it is
    from api.serve import KEEP_ALIVE_S
    from bench.http_client import MAX_IDLE_S
    from bench.load import build_parser

    assert 0 < MAX_IDLE_S < KEEP_ALIVE_S
    helps = {a.dest: a.help for a in build_parser()._actions}
    assert f"the service's is {KEEP_ALIVE_S:g} s" in helps["max_idle"]


def test_recorder_mean_matches_hdr_and_counts_only_successes():
    rec, rng = Recorder(2), random.Random(3)
    values = [rng.uniform(0.001, 2.0) for _ in range(2000)]
    for i, v in enumerate(values):
        rec.record(OP_EVALUATE, i % 2, v, "200")
    rec.record(OP_EVALUATE, 0, 99.0, "503")
    stats = rec.ops[OP_EVALUATE]
    assert stats.total.get_total_count() == 2000 and stats.count == 2001 and stats.errors == 1
    assert [h.get_total_count() for h in stats.steps] == [1000, 1000]
    assert mean_us(stats.total) == pytest.approx(stats.total.get_mean_value(), rel=1e-6)
    assert summarize(stats.total)["mean"] == pytest.approx(sum(values) / len(values) * 1000, rel=1e-3)
    row = rec.tick(1.0)
    assert row["operations"][OP_EVALUATE]["count"] == 2001 and row["operations"][OP_EVALUATE]["errors"] == 1
    assert rec.tick(2.0)["operations"] == {}  # windows reset at each tick


@pytest.mark.parametrize("digits", [2, 3])
def test_percentiles_are_hdrh_s_own_without_its_loop(digits):
    rng = random.Random(digits)
    for n in (0, 1, 7, 5000):
        h = new_histogram(digits)
        for _ in range(n):
            h.record_value(int(rng.lognormvariate(8, 2)) + 1)
        for p in (0, 0.1, 50, 90, 99, 99.9, 99.99, 100):
            assert value_at_percentile(h, p) == h.get_value_at_percentile(p), (n, p)
