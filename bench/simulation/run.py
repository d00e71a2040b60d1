"""`dre simulate SCENARIO`: replay a peak day and write the report (HTML, PNG plots, JSON)."""
from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import uuid
from pathlib import Path

import orjson
import redis
import trio
from redis.backoff import NoBackoff
from redis.retry import Retry
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from actors.redis_server import start_redis_server
from actors.store import open_store
from bench.simulation.allocator import keep_freed_memory
from bench.simulation.plan import compile_rules
from bench.simulation.replay import replay_day
from bench.simulation.scenario import Scenario, load_scenario
from bench.simulation.summary import DaySummary
from dre.config import redacted, redis_url
from dre.errors import DREError, invalid
from dre.pricing import Context
from dre.promotion.rules_file import read_rules_file, rules_from_json

CONNECT_TIMEOUT_S = 3.0  # --redis-url must answer PING within this at start


def scenario_rules(s: Scenario, base: Path) -> tuple[list, Context, list[dict]]:
    """Promotions (inline, or a promotion file relative to the scenario), their context, and the
    coupon types of the file and the scenario together."""
    promos, types = s.promotions, list(s.couponTypes)
    if isinstance(promos, str):
        promos, file_types = read_rules_file(base / promos)
        types = file_types + types
    return *rules_from_json(promos, types), types


def scaled(s: Scenario, base: Path, factor: float) -> Scenario:
    """The day at ``factor`` of its size: stores, and every budget and code limit with them (so that
    budgets run out at about the same time of day); the promotion file, if any, inlined."""
    if factor == 1:
        return s
    promos, types = s.promotions, list(s.couponTypes)
    if isinstance(promos, str):
        promos, file_types = read_rules_file(base / promos)
        types = file_types + types

    def budget(b: dict) -> dict:
        return {k: (round(v * factor, 2) if k == "amount" else max(1, round(v * factor))) for k, v in b.items()}

    promos = [{**p, "budget": budget(p["budget"])} if p.get("budget") else p for p in promos]
    types = [{**t, "maxRedemptions": max(1, round(t["maxRedemptions"] * factor))} if "maxRedemptions" in t else t
             for t in types]
    return s.model_copy(update={"stores": max(1, round(s.stores * factor)), "promotions": promos,
                                "couponTypes": types, "name": f"{s.name} (x{factor:g})"})


async def simulate(s: Scenario, base: Path, redis_url: str, out: Path, show_progress: bool = True) -> DaySummary:
    """Replay the day against ``redis_url`` under a fresh tenant; write the report into ``out``."""
    promos, ctx, coupon_types = scenario_rules(s, base)
    rules = compile_rules(promos, ctx)
    tenant = f"sim-{uuid.uuid4().hex[:12]}"  # a fresh tenant: runs never see each other's budgets
    console = Console(stderr=True)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[info]}"), TimeElapsedColumn(), console=console,
                  disable=not show_progress) as progress:
        task = progress.add_task(s.name, total=None, info="")

        def on_slice(done: int, total: int, day: DaySummary) -> None:
            rate = day.baskets / day.wall_seconds if day.wall_seconds else 0
            minute = day.slice_minutes[-1]
            progress.update(task, completed=done, total=total,
                            info=f"{minute // 60:02d}:{minute % 60:02d}  {day.baskets:,} baskets  {rate:,.0f}/s")

        async with open_store(redis_url) as store:
            day = await replay_day(s, rules, coupon_types, store, tenant, on_slice)
            day.store_requests, day.store_pipelines = store.core.requests, store.core.batches
    # matplotlib (1.1 s of imports) only once there is a day to draw: a bad argument answers sooner
    from bench.simulation.report import write_report

    write_report(day, out, s.name)
    return day


def check_redis(url: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Raise DREError naming --redis-url unless ``url`` is a Redis URL that answers PING within
    ``timeout_s`` (checked before the day starts, not as a traceback from inside the replay)."""
    redis_url(url, "--redis-url")
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s,
                                  retry=Retry(NoBackoff(), 0))
    try:
        client.ping()
    except (redis.RedisError, OSError) as e:
        raise invalid(f"--redis-url: no answer from {redacted(url)} ({' '.join(str(e).split())})") from None
    finally:
        client.close()


def read_scenario(path: Path) -> tuple[Scenario, Path]:
    """load_scenario, with a missing or unreadable file as a DREError naming the argument."""
    try:
        return load_scenario(path)
    except OSError as e:
        raise invalid(f"scenario: {str(path)!r} is not a readable file ({e.strerror or e})") from None


def main(argv: list[str] | None = None) -> int:
    # The batch kernel's OpenMP threads sleep between slices instead of spinning: on 2 cores the
    # spin took CPU from the confirms and Redis (a quarter of the day: 36 -> 28 s of CPU). Read by
    # libgomp when numba first loads it, which is after this (the first parallel call).
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    keep_freed_memory()  # the slices' large arrays reused, not faulted in again (bench.simulation.allocator)
    # the modules' ~150k objects out of the collector's way: the day makes millions of short-lived
    # ones (confirms, replies), and each full collection walked them all (a confirm's build cost x 2)
    gc.freeze()
    parser = argparse.ArgumentParser(prog="dre simulate", description="replay a simulated peak day")
    parser.add_argument("scenario", help="scenario JSON file (see docs/simulation.md)")
    parser.add_argument("--out", default="simulation-report", help="report folder (index.html, summary.json, PNGs)")
    parser.add_argument("--redis-url", help="Redis to run the scripts against: redis://, rediss:// or unix:// URL "
                        "(default: an embedded redis-server)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="run the day at this fraction of its stores, budgets and code limits (e.g. 0.1)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        if not 0 < args.scale <= 1:
            raise invalid("--scale: a fraction in (0, 1]")
        s, base = read_scenario(Path(args.scenario))
        s = scaled(s, base, args.scale)
        out = Path(args.out)
        if args.redis_url:
            check_redis(args.redis_url)
            day = trio.run(simulate, s, base, args.redis_url, out, not args.no_progress)
        else:
            with tempfile.TemporaryDirectory(prefix="dre-sim-") as tmp:
                # a unix socket: the confirms' large calls cost less of the kernel's time than over TCP
                sock = str(Path(tmp).resolve() / "redis.sock")
                try:
                    server = start_redis_server(tmp, persist=False, extra=("--unixsocket", sock, "--unixsocketperm", "700"))
                except (OSError, RuntimeError) as e:
                    raise invalid(f"the embedded redis-server did not start ({' '.join(str(e).split())})") from None
                try:
                    day = trio.run(simulate, s, base, f"unix://{sock}", out, not args.no_progress)
                finally:
                    server.stop()
    except DREError as e:
        sys.stderr.write(orjson.dumps(e.to_json()).decode() + "\n")
        return 2
    summary = day.to_json()
    print(f"{summary['baskets']:,} baskets in {summary['wallSeconds']} s ({summary['basketsPerSecond']:,} baskets/s; "
          f"pricing {summary['pricingSeconds']} s, store {summary['storeSeconds']} s, overlapping; "
          f"{summary['confirms']:,} confirms, {summary['storeRequestsPerPipeline']} store requests a pipeline); discount {summary['discount']:,.2f}; report: {out / 'index.html'}")
    if summary["storeDisagreements"]:
        print(f"  {summary['storeDisagreements']} confirm verdicts differed from the forecast (docs/simulation.md)")
    for p in summary["promotions"]:
        if p["budgetExhaustedAt"]:
            print(f"  budget of {p['promotionId']} ran out at {p['budgetExhaustedAt']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
