"""Tenant isolation under pathological baskets: ``python -m bench.isolation``.

Starts the real service (``dre serve``, one worker, embedded Redis) with two tenants:

* ``heavy`` (tenant A): 20 exclusive ARTICLE promotions whose article sets overlap on a basket
  of 30 lines (promotion i: articles i .. i+10, 1 unit each, the dearest). Every pair shares
  lines it may read, so the best-deal search cannot split them into independent groups, and no
  two touch the same line, so no choice rules out another: without a bound the search would
  visit all 2^20 choices.
* ``bench`` (tenant B): the example promotions and the example basket (4 lines), a small evaluate.

Each round measures tenant B's evaluate latency open loop (a fixed schedule, latency counted
from the scheduled send time) in ``--windows`` pairs of short windows: quiet, then while
``--heavy-clients`` clients of tenant A send pathological baskets back to back. Interleaving keeps
the two figures comparable on a machine whose background load drifts. It prints both p99s
(over all windows of the round) and their ratio (goal: within 2x), and what tenant A got
(answers, 503s past the pricing deadline).

The load generator runs in this process and shares the machine's CPUs with the service.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import uuid
from collections import Counter
from pathlib import Path

import httpx
import orjson
import trio
from hdrh.histogram import HdrHistogram

from bench.http import API_KEY, EVALUATE, REQUEST_TIMEOUT_S, Run, example_bodies, open_loop
from bench.http_client import HttpClient
from bench.live_server import LiveServer
from bench.target import Target

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HEAVY_KEY = "heavy-key"  # tenant A ("heavy"); tenant B is bench.http's API_KEY ("bench")
ADMIN_KEY = "bench-admin-key"  # tenant B's admin key: writes B's promotions (/admin/* is admin-only)
N_PROMOTIONS = 20  # exclusive promotions of tenant A
N_LINES = 30  # lines of tenant A's basket
WIDTH = 11  # articles per promotion: promotion i reads lines i .. i+10 (mod 30)
GOAL_RATIO = 2.0  # tenant B's p99 under load within this multiple of its quiet p99
HIST_MAX_US = 60_000_000
HEAVY_LEAD_S = 0.5  # tenant A's stream runs this long before a loaded window starts measuring
SETTLE_S = 0.5  # pause after a loaded window: tenant A's last requests are answered


def heavy_promotions(exclusive: bool = True) -> list[dict]:
    """Tenant A's promotions (the wire format of DRE_PROMOTIONS_FILE / POST /admin/promotions);
    ``exclusive`` False: the same promotions stackable (no best-deal search: the control run)."""
    return [{"id": f"X{i:02d}", "name": f"exclusive {i}", "type": "ARTICLE", "exclusive": exclusive,
             "actions": [{"type": "ARTICLE", "values": [f"A{(i + j) % N_LINES}" for j in range(WIDTH)],
                          "percentOff": 5 + (i * 7) % 31, "maxQuantity": 1}]}
            for i in range(N_PROMOTIONS)]


def heavy_body() -> bytes:
    """Tenant A's basket: 30 lines of one unit each, dearer with the line number."""
    items = [{"lineReference": str(i + 1), "articleNumber": f"A{i}", "quantity": 1,
              "unitPrice": round(10 + 0.1 * i, 2), "articleGroupId": "G"} for i in range(N_LINES)]
    return orjson.dumps({"request": {
        "header": {"transactionId": uuid.uuid4().hex, "storeId": "S1", "currency": "EUR"},
        "posGroupCode": "P1", "items": items}})


def start_service(data_dir: Path, control: bool = False) -> LiveServer:
    """The service with tenant A seeded from a promotion file and tenant B's written through the API."""
    promos = data_dir / "heavy-promotions.json"
    promos.write_bytes(orjson.dumps(heavy_promotions(exclusive=not control)))
    env = {"DRE_API_KEYS": f"heavy:{HEAVY_KEY},bench:{API_KEY},bench:{ADMIN_KEY}:admin",
           "DRE_PROMOTIONS_FILE": str(promos), "DRE_DATA_DIR": str(data_dir)}
    server = LiveServer(env, ["--workers", "1"], log_path=data_dir / "serve.log")
    try:
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        for promo in orjson.loads((EXAMPLES / "promotions.json").read_bytes()):
            r = httpx.post(server.url + "/admin/promotions", json=promo, headers=headers, timeout=30)
            if r.status_code != 201:
                raise RuntimeError(f"POST /admin/promotions {promo['id']}: {r.status_code} {r.text[:300]}")
    except BaseException:
        server.stop()
        raise
    return server


class HeavyStats:
    def __init__(self) -> None:
        self.hist = HdrHistogram(1, HIST_MAX_US, 3)
        self.status: Counter = Counter()
        self.inexact = 0


async def heavy_client(port: int, stats: HeavyStats, stop: trio.Event) -> None:
    """Tenant A: pathological baskets back to back on one keep-alive connection until ``stop``."""
    body = heavy_body()
    async with HttpClient(Target.parse(f"http://127.0.0.1:{port}"), HEAVY_KEY, connections=1,
                          timeout_s=REQUEST_TIMEOUT_S) as client:
        while not stop.is_set():
            t0 = trio.current_time()
            reply = await client.post(EVALUATE, body)
            stats.hist.record_value(max(1, int((reply.end - t0) * 1e6)))
            stats.status[reply.status or reply.outcome] += 1


async def exactness(port: int) -> str:
    """What one heavy answer says about its best deal (``meta.bestDealExact``), and its saving."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        r = await client.post(EVALUATE, content=heavy_body(),
                              headers={"Authorization": f"Bearer {HEAVY_KEY}", "Content-Type": "application/json"})
    if r.status_code != 200:
        return f"status {r.status_code}"
    body = r.json()
    return (f"bestDealExact={body['meta'].get('bestDealExact', '(no field)')} "
            f"discount={body['totals']['discount']} of gross {body['totals']['gross']}, "
            f"{sum(1 for i in body['lineItems'] if i['discounts'])} lines discounted, "
            f"server-side {body['meta']['durationMs']:.1f} ms")


async def window(port: int, rate: float, seconds: float, bodies: list[bytes], heavy_clients: int,
                 heavy: HeavyStats | None) -> Run:
    """Tenant B's small evaluates for ``seconds``, open loop; with ``heavy``, while tenant A's
    clients stream pathological baskets (started a moment before, stopped after)."""
    if heavy is None:
        return await open_loop(port, EVALUATE, bodies, rate, seconds, connections=4)
    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        for _ in range(heavy_clients):
            nursery.start_soon(heavy_client, port, heavy, stop)
        await trio.sleep(HEAVY_LEAD_S)  # the heavy stream is flowing
        run = await open_loop(port, EVALUATE, bodies, rate, seconds, connections=4)
        stop.set()
    return run


def merged(runs: list[Run]) -> HdrHistogram:
    hist = HdrHistogram(1, HIST_MAX_US, 3)
    for run in runs:
        hist.add(run.hist)
    return hist


async def bench_round(port: int, rate: float, windows: int, seconds: float, heavy_clients: int,
                      bodies: list[bytes]) -> dict:
    """``windows`` pairs of windows, quiet then loaded, back to back: on a shared machine the
    background load drifts over seconds, so both figures are taken across the same stretch of time."""
    quiet: list[Run] = []
    loaded: list[Run] = []
    stats = HeavyStats()
    for _ in range(windows):
        quiet.append(await window(port, rate, seconds, bodies, heavy_clients, None))
        loaded.append(await window(port, rate, seconds, bodies, heavy_clients, stats))
        gc.collect()
        await trio.sleep(SETTLE_S)  # what the heavy clients left queued drains
    q, l = merged(quiet), merged(loaded)
    out = {"quiet_p99_ms": q.get_value_at_percentile(99) / 1000, "loaded_p99_ms": l.get_value_at_percentile(99) / 1000,
           "quiet_p50_ms": q.get_value_at_percentile(50) / 1000, "loaded_p50_ms": l.get_value_at_percentile(50) / 1000,
           "quiet_n": q.get_total_count(), "loaded_n": l.get_total_count(),
           "quiet_errors": sum(r.errors + r.dropped for r in quiet),
           "loaded_errors": sum(r.errors + r.dropped for r in loaded),
           "heavy_answers": sum(stats.status.values()), "heavy_status": dict(stats.status),
           "heavy_p50_ms": stats.hist.get_value_at_percentile(50) / 1000,
           "heavy_p99_ms": stats.hist.get_value_at_percentile(99) / 1000}
    out["ratio"] = out["loaded_p99_ms"] / out["quiet_p99_ms"] if out["quiet_p99_ms"] else float("nan")
    print(f"  tenant B small evaluate p99: quiet {out['quiet_p99_ms']:8.2f} ms   while A streams "
          f"{out['loaded_p99_ms']:8.2f} ms   ratio {out['ratio']:6.2f}   "
          f"(p50 {out['quiet_p50_ms']:.2f} / {out['loaded_p50_ms']:.2f} ms, n {out['quiet_n']} / {out['loaded_n']}, "
          f"errors {out['quiet_errors']} / {out['loaded_errors']})", flush=True)
    print(f"  tenant A heavy evaluates: {out['heavy_answers']} answered {out['heavy_status']}, "
          f"p50 {out['heavy_p50_ms']:.1f} ms, p99 {out['heavy_p99_ms']:.1f} ms", flush=True)
    return out


async def bench(port: int, rate: float, windows: int, seconds: float, heavy_clients: int, rounds: int) -> list[dict]:
    bodies = example_bodies(4000)  # tenant B's basket (examples/request.json)
    print(f"one heavy basket alone: {await exactness(port)}", flush=True)
    await open_loop(port, EVALUATE, bodies, rate, 1.0, connections=4)  # warm-up
    results = []
    for i in range(rounds):
        print(f"round {i + 1}/{rounds}", flush=True)
        results.append(await bench_round(port, rate, windows, seconds, heavy_clients, bodies))
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.isolation", description=__doc__.split("\n\n")[0])
    p.add_argument("--rate", type=float, default=50.0, help="tenant B's small evaluates per second")
    p.add_argument("--windows", type=int, default=6, help="quiet/loaded window pairs per round")
    p.add_argument("--seconds", type=float, default=2.0, help="length of each window")
    p.add_argument("--heavy-clients", type=int, default=4, help="tenant A's clients sending pathological baskets")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--control", action="store_true",
                   help="tenant A's promotions stackable: the same requests with no best-deal search, to tell the "
                        "load of tenant A's HTTP traffic from that of its pricing")
    p.add_argument("--json", type=Path, help="write the figures here")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dre-isolation-") as scratch:
        service = start_service(Path(scratch), args.control)
        try:
            print(f"service {service.url}: 1 worker, CPUs={os.cpu_count()} (shared with this load generator); "
                  f"tenant A: {N_PROMOTIONS} exclusive promotions over {N_LINES} lines, "
                  f"{args.heavy_clients} clients; tenant B: {args.rate:.0f} small evaluates/s", flush=True)
            results = trio.run(bench, service.port, args.rate, args.windows, args.seconds, args.heavy_clients,
                               args.rounds)
        finally:
            code = service.stop()
    quiet = statistics.median(r["quiet_p99_ms"] for r in results)
    loaded = statistics.median(r["loaded_p99_ms"] for r in results)
    ratios = [r["ratio"] for r in results]
    print(f"tenant B p99 quiet {quiet:.2f} ms, while tenant A streams pathological baskets {loaded:.2f} ms: "
          f"ratio {loaded / quiet:.2f} (rounds {min(ratios):.2f}-{max(ratios):.2f}; goal <= {GOAL_RATIO:.0f})")
    print(f"service exit code {code}")
    if args.json:
        args.json.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return 0 if loaded <= GOAL_RATIO * quiet else 1


if __name__ == "__main__":
    raise SystemExit(main())
