"""Command line of the load harness: ``python -m bench.load`` (the lead wires it into ``dre``).

Examples::

    python -m bench.load --url http://127.0.0.1:8080 --api-key KEY --rate 500 --duration 30
    python -m bench.load --url http://127.0.0.1:8080 --api-key KEY --flow evaluate-confirm \\
        --ramp 200,400,800 --step-seconds 10 --coupon-fraction 0.2 --coupons codes.txt --out bench/out
    python -m bench.load --url http://127.0.0.1:8080 --api-key KEY --max-rate --slo-p99-ms 20
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import asdict
from pathlib import Path

import orjson
import trio
from rich.console import Console
from rich.table import Table

from bench.config import (DEFAULT_CONNECTIONS, DEFAULT_GENERIC_COUPON, DEFAULT_INTERVAL_S, DEFAULT_MAX_IN_FLIGHT,
                          DEFAULT_TIMEOUT_S, Arrival, Flow, LoadConfig, constant, parse_rates, ramp,
                          read_coupon_file)
from bench.http_client import MAX_IDLE_S
from bench.maxrate import SearchConfig, SearchResult, TrialResult, find_max_rate
from bench.plot import write_plot, write_search_plot
from bench.progress import LiveProgress
from bench.report import PLOT_FILE, LoadReport, print_summary
from bench.runner import run_load
from bench.target import Target

API_KEY_ENV = "DRE_BENCH_API_KEY"  # keeps the key out of shell history and `ps`
SEARCH_REPORT_FILE = "maxrate.json"
SEARCH_PLOT_FILE = "maxrate.png"


def build_parser(prog: str = "python -m bench.load") -> argparse.ArgumentParser:
    """The harness's argument parser (exposed so the ``dre`` CLI can embed it under its own name)."""
    p = argparse.ArgumentParser(prog=prog, description="Open-loop HTTP load test of a DRE service.")
    p.add_argument("--url", required=True, help="DRE base URL; no traffic goes anywhere else")
    p.add_argument("--api-key", default=os.environ.get(API_KEY_ENV),
                   help=f"Bearer API key (default: ${API_KEY_ENV})")
    sched = p.add_mutually_exclusive_group()
    sched.add_argument("--rate", type=float, default=100.0, help="arrivals (flows) per second (default 100)")
    sched.add_argument("--ramp", type=parse_rates, help="step ramp of rates, e.g. 200,400,800")
    p.add_argument("--duration", type=float, default=10.0, help="seconds at --rate (default 10; not used by --ramp)")
    p.add_argument("--step-seconds", type=float, default=10.0, help="seconds per --ramp step or search trial")
    p.add_argument("--flow", choices=[f.value for f in Flow], default=Flow.EVALUATE.value,
                   help="evaluate, evaluate-confirm (1-3 evaluates then confirm), or echo (the evaluate body to "
                        "/bench/echo of a service with DRE_BENCH_ECHO: the HTTP stack alone, recorded as evaluate)")
    p.add_argument("--arrival", choices=[a.value for a in Arrival], default=Arrival.UNIFORM.value,
                   help="uniform spacing, or poisson (seeded exponential gaps)")
    p.add_argument("--max-in-flight", type=int, default=DEFAULT_MAX_IN_FLIGHT,
                   help="concurrent flows; arrivals beyond are dropped and counted")
    p.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS, help="HTTP connection pool size")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="per-request timeout (s)")
    p.add_argument("--max-idle", type=float, default=MAX_IDLE_S,
                   help="a keep-alive connection idle longer (s) is replaced, not reused: keep it below the "
                        f"server's keep-alive timeout (the service's is 75 s; default {MAX_IDLE_S:g})")
    p.add_argument("--drain", type=float, default=None, help="grace for in-flight flows at the end (s)")
    p.add_argument("--seed", type=int, default=1, help="catalogue and basket seed")
    p.add_argument("--catalogue-size", type=int, default=5000)
    p.add_argument("--coupon-fraction", type=float, default=0.0, help="share of baskets presenting a coupon")
    p.add_argument("--coupons", type=Path, help="file of coupon codes, one a line")
    p.add_argument("--generic-coupon", default=DEFAULT_GENERIC_COUPON, help="code used without --coupons")
    p.add_argument("--interval", type=float, default=DEFAULT_INTERVAL_S, help="timeline window (s)")
    p.add_argument("--out", type=Path, help="directory for report.json and latency.png")
    p.add_argument("--no-progress", action="store_true", help="no live display")
    p.add_argument("--label", action="append", default=[], metavar="K=V", help="label copied into the report")
    s = p.add_argument_group("max-rate search")
    s.add_argument("--max-rate", action="store_true", help="search the max rate within --slo-p99-ms")
    s.add_argument("--slo-p99-ms", type=float, default=50.0)
    s.add_argument("--slo-op", choices=("evaluate", "confirm", "flow"), default="evaluate")
    s.add_argument("--start-rate", type=float, default=100.0)
    s.add_argument("--factor", type=float, default=1.5)
    s.add_argument("--limit-rate", type=float, default=100_000.0)
    s.add_argument("--min-rate", type=float, default=1.0, help="lowest rate tried when --start-rate fails")
    s.add_argument("--refine", type=int, default=3, help="bisection trials after the first failure")
    s.add_argument("--max-error-rate", type=float, default=0.0, help="allowed share of failed requests")
    s.add_argument("--cooldown", type=float, default=1.0, help="pause between trials (s)")
    s.add_argument("--warmup", type=float, default=2.0, help="unjudged run at --start-rate before the first trial (s)")
    s.add_argument("--min-requests", type=int, default=200,
                   help="a trial at a low rate runs longer (up to --max-trial-seconds) to schedule this many")
    s.add_argument("--max-trial-seconds", type=float, default=20.0)
    s.add_argument("--retries", type=int, default=1,
                   help="re-runs of a failed trial once a rate has passed, before its rate counts as failed "
                        "(a VM hiccup is not a ceiling)")
    return p


def config_from_args(args: argparse.Namespace) -> LoadConfig:
    """Turn parsed flags into a :class:`LoadConfig`. Raises ValueError on inconsistent flags."""
    if not args.api_key:
        raise ValueError(f"--api-key (or ${API_KEY_ENV}) is required")
    Target.parse(args.url)  # fail before any work on a URL we would not send to
    steps = ramp(args.ramp, args.step_seconds) if args.ramp else constant(args.rate, args.duration)
    labels = dict(item.split("=", 1) for item in args.label if "=" in item)
    return LoadConfig(
        url=args.url, api_key=args.api_key, steps=steps, flow=Flow(args.flow), arrival=Arrival(args.arrival),
        max_in_flight=args.max_in_flight, connections=args.connections, timeout_s=args.timeout,
        max_idle_s=args.max_idle,
        drain_s=args.drain, seed=args.seed, catalogue_size=args.catalogue_size,
        coupon_fraction=args.coupon_fraction,
        coupon_codes=read_coupon_file(args.coupons) if args.coupons else (),
        generic_coupon=args.generic_coupon, interval_s=args.interval, out_dir=args.out, extra=labels,
    )


async def execute(config: LoadConfig, *, progress: bool = True, console: Console | None = None) -> LoadReport:
    """Run one load test, show progress, print the summary and write the outputs.

    Args:
        config: the run; when ``config.out_dir`` is set, ``report.json`` and ``latency.png`` go there.
        progress: draw the live display.
        console: where to print (default: stdout).

    Returns:
        The report.
    """
    console = console or Console()
    if progress:
        with LiveProgress(config, console) as live:
            report = await run_load(config, on_tick=live.on_tick)
    else:
        report = await run_load(config)
    print_summary(report, console)
    if config.out_dir is not None:
        json_path = report.write(config.out_dir)
        png_path = write_plot(report, config.out_dir / PLOT_FILE)
        console.print(f"wrote {json_path} and {png_path}")
    return report


async def execute_search(config: LoadConfig, search: SearchConfig, console: Console | None = None) -> SearchResult:
    """Run a max-rate search, print each trial and the result, and write its outputs."""
    console = console or Console()

    def show(t: TrialResult) -> None:
        p99 = "-" if t.p99_ms is None else f"{t.p99_ms:.2f} ms"
        console.print(f"{t.rate:>10g}/s  {'PASS' if t.passed else 'FAIL'}  p99 {p99}  {t.reason}"
                      f"  (generator's worst start lag {t.max_lag_ms:.1f} ms)" + ("  (re-try)" if t.retry else ""))

    result = await find_max_rate(config, search, on_trial=show)
    table = Table(title=f"max sustainable rate ({search.operation} p99 <= {search.slo_p99_ms:g} ms)")
    table.add_column("max rate/s", justify="right")
    table.add_column("p99 ms", justify="right")
    table.add_row("none" if result.max_rate is None else f"{result.max_rate:g}",
                  "-" if result.p99_ms is None else f"{result.p99_ms:.2f}")
    console.print(table)
    if config.out_dir is not None:
        config.out_dir.mkdir(parents=True, exist_ok=True)
        (config.out_dir / SEARCH_REPORT_FILE).write_bytes(orjson.dumps(asdict(result), option=orjson.OPT_INDENT_2))
        write_search_plot(result, config.out_dir / SEARCH_PLOT_FILE)
        console.print(f"wrote {config.out_dir / SEARCH_REPORT_FILE} and {config.out_dir / SEARCH_PLOT_FILE}")
    return result


def main(argv: list[str] | None = None, prog: str = "python -m bench.load") -> int:
    """CLI entry point. Returns the process exit code (0: the run completed; 2: bad arguments).

    Args:
        argv: arguments without the program name (default: ``sys.argv[1:]``).
        prog: program name shown in usage (e.g. ``"dre load"`` when the dre CLI delegates here).
    """
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
        search = None
        if args.max_rate:
            search = SearchConfig(slo_p99_ms=args.slo_p99_ms, start_rate=args.start_rate, factor=args.factor,
                                  limit_rate=args.limit_rate, min_rate=args.min_rate,
                                  step_seconds=args.step_seconds,
                                  refine=args.refine, max_error_rate=args.max_error_rate,
                                  operation=args.slo_op, cooldown_s=args.cooldown, warmup_s=args.warmup,
                                  retries=args.retries, min_requests=args.min_requests,
                                  max_trial_s=args.max_trial_seconds)
    except (ValueError, OSError) as exc:
        parser.print_usage(sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if search is not None:
        trio.run(execute_search, config, search)
    else:
        # The live table only makes sense on a terminal; in CI logs it would be noise.
        progress = not args.no_progress and Console().is_terminal
        trio.run(lambda: execute(config, progress=progress))
    return 0


if __name__ == "__main__":
    sys.exit(main())
