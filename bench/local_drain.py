"""Drain of a local instance's pending queue: ``.venv/bin/python -m bench.local_drain``.

Starts a central ``dre serve`` (on its own redis-server, which outlives it) and a local instance
(``--mode local``, embedded Redis with fsync always), waits for the first sync, stops central,
sells ``--transactions`` baskets at the local instance (evaluate + confirm, ``--concurrency`` at
a time), then starts central again on the same port and times how long the queue takes to drain
to 0 (the heartbeat's ``pendingTransactions``) while ``--lanes`` lanes keep evaluating at the
local instance back to back. Prints the drain time and rate, and the lanes' evaluate latency
during the drain (p50, p99, max) and before it (central away, nothing to drain), and checks that
central counted every sale once (its budget's redemptions), with the machine's load averages.

Both servers and the load generator share the machine's CPUs.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import httpx
import orjson
import trio

from actors.redis_server import start_redis_server
from bench.live_server import LiveServer

KEYS = "bench:lane-key,bench:hq-key:admin"
LANE = {"Authorization": "Bearer lane-key", "Content-Type": "application/json"}
HQ = {"Authorization": "Bearer hq-key"}
PROMOTIONS = [  # a budgeted promotion (leased whole to the one store: no lease limits the bench), points
    {"id": "D", "name": "0.50 off A", "type": "ARTICLE", "budget": {"redemptions": 1_000_000},
     "actions": [{"type": "ARTICLE", "values": ["A"], "amountOff": 0.50}]},
    {"id": "LOY", "name": "1 point per 1.00", "type": "LOYALTY",
     "actions": [{"type": "CURRENCY_TO_POINTS", "points": 1, "per": 1.00}]},
]
WAIT_S = 600.0  # any wait of the bench gives up after this


def basket(txn: str) -> bytes:
    return orjson.dumps({"request": {
        "header": {"transactionId": txn}, "posGroupCode": "P",
        "customer": {"loyaltyCardNo": f"L{hash(txn) % 100}"},
        "items": [{"lineReference": "1", "articleNumber": "A", "quantity": 2, "unitPrice": 2.50,
                   "articleGroupId": "G"},
                  {"lineReference": "2", "articleNumber": "B", "quantity": 1, "unitPrice": 1.20,
                   "articleGroupId": "G"}]}})


async def heartbeat(http: httpx.AsyncClient) -> dict:
    return (await http.get("/pos/heartbeat")).json()


async def until(http: httpx.AsyncClient, test, what: str) -> dict:
    with trio.move_on_after(WAIT_S):
        while not test(hb := await heartbeat(http)):
            await trio.sleep(0.05)
        return hb
    raise RuntimeError(f"{what}: not within {WAIT_S:.0f} s")


async def sell(http: httpx.AsyncClient, n: int, concurrency: int) -> None:
    limit = trio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with limit:
            txn = f"Q{i}"
            r = await http.post("/pos/v2/evaluate", content=basket(txn))
            r.raise_for_status()
            body = {"request": {"header": {"transactionId": txn, "transactionCounter": 1}}}
            (await http.post("/pos/v2/confirm", content=orjson.dumps(body))).raise_for_status()

    async with trio.open_nursery() as nursery:
        for i in range(n):
            nursery.start_soon(one, i)


async def lanes(http: httpx.AsyncClient, n: int, stop: trio.Event, out: list[float]) -> None:
    """``n`` lanes evaluating back to back until ``stop``; each latency (ms) goes to ``out``."""
    async def lane(k: int) -> None:
        i = 0
        while not stop.is_set():
            started = time.perf_counter()
            r = await http.post("/pos/v2/evaluate", content=basket(f"LANE{k}-{i}"))
            r.raise_for_status()
            out.append((time.perf_counter() - started) * 1000)
            i += 1

    async with trio.open_nursery() as nursery:
        for k in range(n):
            nursery.start_soon(lane, k)


def load_average() -> str:
    """The machine's 1- and 5-minute load averages: the figures depend on what else runs."""
    one, five, _ = os.getloadavg()
    return f"{one:.1f} / {five:.1f}"


def percentiles(ms: list[float]) -> str:
    if not ms:
        return "no evaluates"
    s = sorted(ms)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    return f"{len(s)} evaluates, p50 {pick(0.5):.1f} ms, p99 {pick(0.99):.1f} ms, max {s[-1]:.1f} ms"


async def lanes_for(http: httpx.AsyncClient, n: int, seconds: float) -> list[float]:
    out: list[float] = []
    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lanes, http, n, stop, out)
        await trio.sleep(seconds)
        stop.set()
    return out


async def run(args: argparse.Namespace, work: Path) -> None:
    central_redis = start_redis_server(work / "central-redis", persist=False)
    promotions = work / "promotions.json"
    promotions.write_bytes(orjson.dumps(PROMOTIONS))
    central_env = {"DRE_API_KEYS": KEYS, "DRE_PROMOTIONS_FILE": str(promotions), "DRE_REDIS_URL": central_redis.url,
                   "DRE_LEASE_FRACTION": "1"}
    central = local = None
    try:
        central = LiveServer(central_env, log_path=work / "central.log")
        # the lanes' latency is measured, not cut off: a loaded shared machine outwaits 250 ms now and then
        local = LiveServer({"DRE_API_KEYS": KEYS, "DRE_DATA_DIR": str(work / "local"), "DRE_PRICE_DEADLINE_MS": "5000"},
                           ["--mode", "local", "--central-url", central.url, "--central-key", "hq-key"],
                           log_path=work / "local.log")
        limits = httpx.Limits(max_connections=args.concurrency + args.lanes)
        async with httpx.AsyncClient(base_url=local.url, headers=LANE, timeout=60, limits=limits) as http:
            await until(http, lambda h: h.get("lastSync") and h["promotionsLoaded"] == 2, "first sync")
            central.stop()
            await until(http, lambda h: h["btpConnectivity"] == "DISCONNECTED", "central seen away")
            started = time.perf_counter()
            await sell(http, args.transactions, args.concurrency)
            filled = time.perf_counter() - started
            await until(http, lambda h: h["pendingTransactions"] == args.transactions, "queue filled")
            print(f"queue: {args.transactions} transactions sold offline in {filled:.1f} s; "
                  f"load average {load_average()}")
            quiet = await lanes_for(http, args.lanes, 3.0)
            print(f"lanes before the drain ({args.lanes}, central away): {percentiles(quiet)}")

            during: list[float] = []
            stop = trio.Event()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(lanes, http, args.lanes, stop, during)
                central = LiveServer(central_env, log_path=work / "central-2.log", port=central.port)
                back = time.perf_counter()
                await until(http, lambda h: h["pendingTransactions"] == 0, "queue drained")
                drained = time.perf_counter() - back
                stop.set()
        print(f"drain: {args.transactions} transactions in {drained:.1f} s after central answered "
              f"({args.transactions / drained:.0f}/s); load average {load_average()}")
        print(f"lanes during the drain ({args.lanes}): {percentiles(during)}")
        async with httpx.AsyncClient(base_url=central.url, headers=HQ, timeout=60) as admin:
            leases = (await admin.get("/admin/sync/leases")).json()["promotions"]
            sold = sum(lease["usedRedemptions"] for p in leases if p["promotionId"] == "D" for lease in p["leases"])
        print(f"central: {sold} sales of D counted against the store's lease "
              f"({'each once' if sold == args.transactions else 'MISMATCH'})")
    finally:
        for server in (local, central):
            if server is not None:
                server.stop()
        central_redis.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.local_drain", description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=10_000, help="transactions queued offline (10,000)")
    parser.add_argument("--lanes", type=int, default=4, help="lanes evaluating during the drain (4)")
    parser.add_argument("--concurrency", type=int, default=16, help="sales in flight while filling (16)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dre-drain-") as work:
        trio.run(run, args, Path(work))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
