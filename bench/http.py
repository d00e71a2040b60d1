"""HTTP benchmark of the POS service: ``python -m bench.http``.

Starts the real service (``dre serve``: same hypercorn settings, embedded Redis, the example
promotions) on 127.0.0.1 with the ``/bench/echo`` baseline route mounted, then measures, open
loop (requests are sent on a fixed schedule whatever the answers do, and latency is counted from
the scheduled send time, so a slow server cannot hide its queueing), in each of ``--rounds``
rounds:

1. peak throughput of ``/bench/echo`` (the HTTP stack with auth, limits, logs, metrics, but no
   pricing) and of ``/pos/v2/evaluate``, with the same request bodies and a response of the
   same size: each is offered more than it can take and its completions per second counted;
2. the evaluate/echo ratio (goal >= 85 %, issue 18);
3. evaluate latency (HDR histogram: p50/p99/p99.9) at 80 % of its peak (goal p99 <= 20 ms), and
   the echo route's at 80 % of its own peak: the latency the HTTP stack alone has at that load.

The summary gives the median of the rounds and their range: on a shared machine one round can
be off by tens of percent. The load generator runs in this process (trio, bench.http_client: a
minimal keep-alive HTTP/1.1 client); on a small machine it competes with the server for CPU,
which the printout states (CPU count).

Then, in the same run against the same service:

4. the throughput ceilings of both routes driven by ``wrk`` (bench.wrk: native, closed loop, a
   fraction of the Python generator's CPU per request), ``--rounds`` rounds, and their ratio. The
   bench finds wrk or installs Debian's package, and says so when it cannot (``--no-wrk``: skip);
5. with ``--max-rate``: the highest rate at which evaluate holds p99 <= ``--slo-p99-ms``, and
   the echo route's at the same SLO (bench.maxrate's search, the open-loop Python generator of
   ``dre load``: latency under a given load is the open-loop generator's to measure).
"""
from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import orjson
import trio
from hdrh.histogram import HdrHistogram

from bench.config import Flow, LoadConfig, constant
from bench.live_server import LiveServer
from bench.http_client import HttpClient
from bench.maxrate import SearchConfig, SearchResult, TrialResult, find_max_rate
from bench.target import Target
from bench.wrk import TXN, find_wrk, run_wrk

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
API_KEY = "bench-key"
HIST_MAX_US = 60_000_000  # 60 s: nothing slower is recorded
CONNECTIONS = 32  # keep-alive HTTP/1.1 connections of the load generator
MAX_IN_FLIGHT = 256  # arrivals beyond this many outstanding are dropped and counted: an overload
# run then measures what the server completes instead of building an unbounded backlog
GOAL_RATIO = 0.85  # issue 18 (was 0.90)
GOAL_P99_MS = 20.0
ECHO = "/bench/echo"
EVALUATE = "/pos/v2/evaluate"
PAUSE_S = 1.0  # between runs: the previous run's backlog drains
REQUEST_TIMEOUT_S = 60.0  # an overload run's backlog is measured, not cut off


@dataclass
class Run:
    offered: float  # requests per second scheduled
    seconds: float
    sent: int
    ok: int
    dropped: int
    hist: HdrHistogram
    error_kinds: Counter  # HTTP status or exception name -> count

    @property
    def errors(self) -> int:
        return sum(self.error_kinds.values())

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds

    def pct_ms(self, p: float) -> float:
        return self.hist.get_value_at_percentile(p) / 1000


def example_bodies(n: int) -> list[bytes]:
    """The example basket with a fresh transactionId each (every evaluate is counter 1)."""
    base = orjson.loads((EXAMPLES / "request.json").read_bytes())
    out = []
    for _ in range(n):
        base["request"]["header"]["transactionId"] = uuid.uuid4().hex
        out.append(orjson.dumps(base))
    return out


def wrk_template() -> str:
    """The example basket with ``TXN`` for its transactionId (bench.wrk makes one per request)."""
    base = orjson.loads((EXAMPLES / "request.json").read_bytes())
    base["request"]["header"]["transactionId"] = TXN
    return orjson.dumps(base).decode()


def wrk_rounds(wrk: str, url: str, rounds: int, seconds: float, connections: int) -> dict:
    """Both routes' ceilings under wrk, ``rounds`` times (echo then evaluate); their medians."""
    template = wrk_template()
    run_wrk(wrk, url, EVALUATE, API_KEY, template, 1, connections)  # warm-up
    results = []
    for i in range(rounds):
        runs = {name: run_wrk(wrk, url, path, API_KEY, template, seconds, connections)
                for name, path in (("echo", ECHO), ("evaluate", EVALUATE))}
        for name, run in runs.items():
            print(f"wrk {name:<9} {run.ok_per_s:8.0f}/s  non-2xx {run.non_2xx:5d}  socket errors "
                  f"{run.socket_errors:4d}  p50 {run.p50_ms:7.2f} ms  p99 {run.p99_ms:7.2f} ms "
                  f"(closed loop, {connections} connections)", flush=True)
        echo, evaluate = runs["echo"].ok_per_s, runs["evaluate"].ok_per_s
        results.append({"echo_rps": round(echo, 1), "evaluate_rps": round(evaluate, 1),
                        "ratio": round(evaluate / echo, 3) if echo else math.nan,
                        "errors": sum(r.non_2xx + r.socket_errors for r in runs.values())})
    return {**{key: statistics.median(r[key] for r in results) for key in results[0]}, "rounds": results}


async def max_rates(url: str, slo_p99_ms: float, step_seconds: float, start_rate: float,
                    limit_rate: float = 100_000.0, min_requests: int = 200, warmup_s: float = SearchConfig.warmup_s,
                    pause_s: float = PAUSE_S) -> dict[str, SearchResult]:
    """The highest rate holding p99 <= ``slo_p99_ms`` for evaluate, then for echo (the same search,
    the same service, bench.load's open-loop generator); ``pause_s`` between trials and flows."""
    out = {}
    for flow in (Flow.EVALUATE, Flow.ECHO):
        def show(t: TrialResult, name: str = flow.value) -> None:
            p99 = "-" if t.p99_ms is None else f"{t.p99_ms:.2f} ms"
            print(f"max-rate {name:<9} {t.rate:>8g}/s  {'PASS' if t.passed else 'FAIL'}  p99 {p99}  {t.reason}"
                  f"  (start lag {t.max_lag_ms:.1f} ms)" + ("  (re-try)" if t.retry else ""), flush=True)

        base = LoadConfig(url=url, api_key=API_KEY, steps=constant(start_rate, step_seconds), flow=flow)
        # the search warms up first (unjudged) and re-tries a failed trial once (bench.maxrate)
        search = SearchConfig(slo_p99_ms=slo_p99_ms, start_rate=start_rate, step_seconds=step_seconds, refine=3,
                              limit_rate=limit_rate, min_requests=min_requests, warmup_s=warmup_s,
                              cooldown_s=pause_s)
        out[flow.value] = await find_max_rate(base, search, on_trial=show)
        await trio.sleep(pause_s)
    return out


def _evaluate_response_size() -> int:
    """Bytes of the evaluate answer to the example basket (the echo route answers as many)."""
    from dre.basket import parse_evaluate_body
    from dre.evaluate import ReferenceSet
    from dre.promotion.rules_file import load_rules
    from dre.response import build_response

    promos, ctx = load_rules(EXAMPLES / "promotions.json")
    _, basket = parse_evaluate_body(orjson.loads(example_bodies(1)[0]))
    rs = ReferenceSet(promos)
    body = build_response(basket, rs.evaluate(basket, ctx), rs.by_id, transaction_id=uuid.uuid4().hex, counter=1,
                          is_simulation=False, duration_ms=1.234, meta_extra={"counterSource": "STORE"})
    return len(orjson.dumps(body))


def start_service(workers: int, shards: int, data_dir: Path) -> LiveServer:
    """``dre serve`` with the example promotions, its embedded Redis under ``data_dir`` and the echo route.

    Its output (access logs) goes to ``data_dir/serve.log``: a terminal would slow the server down.
    """
    env = {"DRE_API_KEYS": f"bench:{API_KEY}", "DRE_PROMOTIONS_FILE": str(EXAMPLES / "promotions.json"),
           "DRE_DATA_DIR": str(data_dir), "DRE_BENCH_ECHO": str(_evaluate_response_size())}
    return LiveServer(env, ["--workers", str(workers), "--shards", str(shards)], log_path=data_dir / "serve.log")


async def open_loop(port: int, path: str, bodies: list[bytes], rate: float, seconds: float,
                    connections: int = CONNECTIONS) -> Run:
    """Send ``rate`` requests per second for ``seconds`` on a fixed schedule; record latencies.

    A scheduler puts each arrival on a bounded queue at its due time (dropped and counted when
    MAX_IN_FLIGHT are already waiting); ``connections`` keep-alive connections take from it.
    Latency is measured from the due time, so waiting for a free connection counts as the
    server's slowness that it is.
    """
    hist = HdrHistogram(1, HIST_MAX_US, 3)
    n = int(rate * seconds)
    counts = {"ok": 0, "dropped": 0}
    error_kinds: Counter = Counter()
    send, receive = trio.open_memory_channel(MAX_IN_FLIGHT)

    async def worker(client: HttpClient, receive: trio.MemoryReceiveChannel) -> None:
        async with receive:
            async for body, due in receive:
                reply = await client.post(path, body)
                if reply.outcome == "200":
                    counts["ok"] += 1
                    hist.record_value(max(1, int((reply.end - due) * 1e6)))
                else:
                    error_kinds[reply.outcome] += 1

    # No collections in the generator while it measures (as timeit does): a full one takes tens
    # of ms here, and every request waiting meanwhile would charge it to the server.
    gc.collect()
    gc.disable()
    start = trio.current_time() + 0.1
    try:
        async with HttpClient(Target.parse(f"http://127.0.0.1:{port}"), API_KEY, connections=connections,
                              timeout_s=REQUEST_TIMEOUT_S) as client, trio.open_nursery() as nursery:
            async with receive:
                for _ in range(connections):
                    nursery.start_soon(worker, client, receive.clone())
            async with send:
                for i in range(n):
                    due = start + i / rate
                    await trio.sleep_until(due)
                    try:
                        send.send_nowait((bodies[i % len(bodies)], due))
                    except trio.WouldBlock:
                        counts["dropped"] += 1
    finally:
        gc.enable()
    span = max(trio.current_time() - start, 1e-9)  # until the last answer: a late backlog counts
    return Run(rate, span, n, counts["ok"], counts["dropped"], hist, error_kinds)


def _line(name: str, run: Run) -> str:
    return (f"{name:<22} offered {run.offered:8.0f}/s  done {run.throughput:8.0f}/s  ok {run.ok:6d}  "
            f"err {run.errors:4d}  drop {run.dropped:5d}  p50 {run.pct_ms(50):8.2f} ms  "
            f"p99 {run.pct_ms(99):8.2f} ms  p99.9 {run.pct_ms(99.9):8.2f} ms"
            + (f"  errors {dict(run.error_kinds)}" if run.error_kinds else ""))


async def bench_round(port: int, overload: float, seconds: float, connections: int,
                      bodies: list[bytes], pause_s: float = PAUSE_S) -> dict:
    """One round: both peaks, then each route at 80 % of its own peak."""
    async def measure(name: str, path: str, rate: float, run_s: float) -> Run:
        run = await open_loop(port, path, bodies, rate, run_s, connections)
        print(_line(name, run), flush=True)
        await trio.sleep(pause_s)
        return run

    # offered more than the server can take: completions per second are its peak throughput
    echo = await measure("echo (peak)", ECHO, overload, seconds)
    evaluate = await measure("evaluate (peak)", EVALUATE, overload, seconds)
    at80 = await measure("evaluate @80% peak", EVALUATE, max(1.0, 0.8 * evaluate.throughput), seconds * 2)
    echo80 = await measure("echo @80% peak", ECHO, max(1.0, 0.8 * echo.throughput), seconds * 2)
    ratio = evaluate.throughput / echo.throughput if echo.throughput else math.nan
    return {"echo_peak_rps": round(echo.throughput, 1), "evaluate_peak_rps": round(evaluate.throughput, 1),
            "ratio": round(ratio, 3), "at80_rate_rps": round(at80.offered, 1),
            "at80_p50_ms": at80.pct_ms(50), "at80_p99_ms": at80.pct_ms(99), "at80_p999_ms": at80.pct_ms(99.9),
            "at80_errors": at80.errors, "at80_dropped": at80.dropped,
            "echo_at80_rate_rps": round(echo80.offered, 1), "echo_at80_p99_ms": echo80.pct_ms(99)}


async def bench(port: int, overload: float, seconds: float, connections: int, rounds: int = 1,
                pause_s: float = PAUSE_S, warmup_s: float = 1.0) -> dict:
    """``rounds`` rounds after a warm-up of ``warmup_s`` a route; the figures of each and their medians."""
    bodies = example_bodies(2000)
    # warm up: kernels, connections, caches
    await open_loop(port, EVALUATE, bodies, 200, warmup_s, connections)
    await open_loop(port, ECHO, bodies, 200, warmup_s, connections)
    results = []
    for i in range(rounds):
        if rounds > 1:
            print(f"round {i + 1}/{rounds}", flush=True)
        results.append(await bench_round(port, overload, seconds, connections, bodies, pause_s))
    return {**{key: statistics.median(r[key] for r in results) for key in results[0]}, "rounds": results}


def _range(out: dict, key: str, fmt: str) -> str:
    """`` (rounds: a–b)`` when there was more than one round."""
    values = [r[key] for r in out["rounds"]]
    return f" (rounds: {min(values):{fmt}}–{max(values):{fmt}})" if len(values) > 1 else ""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=1, help="HTTP worker processes of the service")
    p.add_argument("--shards", type=int, default=1, help="shard actors per worker")
    p.add_argument("--seconds", type=float, default=5.0, help="length of each measurement")
    p.add_argument("--overload", type=float, default=2000.0, help="offered rate of the peak runs (req/s)")
    p.add_argument("--connections", type=int, default=CONNECTIONS)
    p.add_argument("--data-dir", type=Path,
                   help="the service's data (embedded Redis, serve.log); default: a new temporary directory, "
                        "removed afterwards, so that no earlier run's data weighs on this one")
    p.add_argument("--rounds", type=int, default=3, help="measurement rounds (the summary is their median)")
    p.add_argument("--no-wrk", action="store_true", help="skip the wrk ceilings")
    p.add_argument("--wrk-connections", type=int, default=CONNECTIONS)
    p.add_argument("--no-python", action="store_true",
                   help="skip the Python generator's rounds (steps 1-3): wrk and/or --max-rate only")
    p.add_argument("--max-rate", action="store_true",
                   help="also search the highest rate holding p99 <= --slo-p99-ms, evaluate and echo")
    p.add_argument("--slo-p99-ms", type=float, default=GOAL_P99_MS)
    p.add_argument("--step-seconds", type=float, default=5.0, help="length of each max-rate trial")
    p.add_argument("--start-rate", type=float, default=100.0, help="first max-rate trial's rate")
    p.add_argument("--json", type=Path, help="write the figures here")
    args = p.parse_args(argv)
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    with tempfile.TemporaryDirectory(prefix="dre-bench-") as scratch:
        data_dir = args.data_dir or Path(scratch)
        data_dir.mkdir(parents=True, exist_ok=True)
        return _run(args, data_dir)


def _run(args: argparse.Namespace, data_dir: Path) -> int:
    wrk, wrk_note = (None, "wrk skipped (--no-wrk)") if args.no_wrk else find_wrk()
    service = start_service(args.workers, args.shards, data_dir)
    out: dict = {}
    try:
        print(f"service {service.url}: workers={args.workers} shards={args.shards}, CPUs={os.cpu_count()} "
              f"(shared with the load generator)", flush=True)
        if not args.no_python:
            out = trio.run(bench, service.port, args.overload, args.seconds, args.connections, args.rounds)
        print(wrk_note, flush=True)
        if wrk is not None:
            out["wrk"] = wrk_rounds(wrk, service.url, args.rounds, args.seconds, args.wrk_connections)
        if args.max_rate:
            found = trio.run(max_rates, service.url, args.slo_p99_ms, args.step_seconds, args.start_rate)
            out["max_rate"] = {name: {"max_rate": r.max_rate, "p99_ms": r.p99_ms} for name, r in found.items()}
    finally:
        code = service.stop()
    if not args.no_python:
        print(f"evaluate/echo throughput ratio: {out['ratio']:.1%}{_range(out, 'ratio', '.1%')} "
              f"(goal >= {GOAL_RATIO:.0%})")
        print(f"evaluate p99 at 80% of peak ({out['at80_rate_rps']:.0f}/s): {out['at80_p99_ms']:.2f} ms"
              f"{_range(out, 'at80_p99_ms', '.1f')} (goal <= {GOAL_P99_MS:.0f} ms)")
        print(f"echo p99 at 80% of its peak ({out['echo_at80_rate_rps']:.0f}/s), the HTTP stack alone: "
              f"{out['echo_at80_p99_ms']:.2f} ms{_range(out, 'echo_at80_p99_ms', '.1f')}")
    if "wrk" in out:
        w = out["wrk"]
        print(f"wrk ceilings (median of {len(w['rounds'])}): echo {w['echo_rps']:.0f}/s{_range(w, 'echo_rps', '.0f')}, "
              f"evaluate {w['evaluate_rps']:.0f}/s{_range(w, 'evaluate_rps', '.0f')}, evaluate/echo "
              f"{w['ratio']:.1%}{_range(w, 'ratio', '.1%')} (goal >= {GOAL_RATIO:.0%})"
              + (f", {w['errors']} errors" if w["errors"] else ""))
    if "max_rate" in out:
        def rate(name: str) -> str:
            r = out["max_rate"][name]
            return "none" if r["max_rate"] is None else f"{r['max_rate']:g}/s (p99 {r['p99_ms']:.2f} ms)"

        print(f"highest rate holding p99 <= {args.slo_p99_ms:g} ms ({args.workers} workers): "
              f"evaluate {rate('evaluate')}, echo {rate('echo')}")
    print(f"service exit code {code}")
    if args.json:
        args.json.write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
