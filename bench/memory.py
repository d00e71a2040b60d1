"""Redis memory per transaction: ``.venv/bin/python -m bench.memory [--n 100000]``.

Runs ``--n`` lane transactions through the service's own code (the app in this process, its
store actor and side-effects job runners, a private redis-server): evaluate of the example basket
with a loyalty customer (a quarter as many customers as transactions), confirm with an ``Idempotency-Key``, and the side-effects job (points,
audit record). Then it prints Redis's ``used_memory`` before and after, per transaction, and per
key family: how many keys, their sampled size, and their TTL - what expires in a day, what stays
longer, and what has no TTL (each such family must have a documented bound: docs/store.md).
"""
from __future__ import annotations

import argparse
import copy
import re
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import orjson
import redis
import trio

from actors.redis_server import start_redis_server
from api.app import create_app
from api.worker import open_services
from dre.config import load_config

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
KEY = "bench-key"
HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
SAMPLE = 50  # keys per family whose MEMORY USAGE is read


def family(key: str) -> str:
    """``dre:{t}:txn:T123:done`` -> ``txn:*:done``, ``dre:{t:txn:T123}:counter`` -> ``{txn}:counter``
    (a slot of its own, dre/store/keys.py): the key's shape, ids starred."""
    tag, _, rest = key.partition("}:")
    inner = tag.split("{", 1)[-1].split(":")
    head = f"{{{inner[1]}}}:" if len(inner) > 2 else ""
    parts = rest.split(":")
    return head + ":".join(p if (i == 0 or p.isalpha() and p.islower()) else "*" for i, p in enumerate(parts))


def ttl_class(seconds: int) -> str:
    if seconds < 0:
        return "none"
    if seconds <= 2 * 86400:
        return "<= 2 days"
    return f"~{round(seconds / 86400)} days"


async def run(n: int, concurrency: int, url: str) -> None:
    config = load_config({"DRE_API_KEYS": f"bench:{KEY}", "DRE_PROMOTIONS_FILE": str(EXAMPLES / "promotions.json"),
                          "DRE_PRICE_DEADLINE_MS": "5000"})
    body = orjson.loads((EXAMPLES / "request.json").read_bytes())
    async with open_services(config, url) as services:
        async with create_app(services).test_app() as test_app:
            client = test_app.test_client()
            sem = trio.Semaphore(concurrency)
            failures = defaultdict(int)

            async def one(i: int) -> None:
                async with sem:
                    req = copy.deepcopy(body)
                    req["request"]["header"]["transactionId"] = f"M{i:07d}"
                    # a customer each (a lane sees many; P1 allows one use per customer)
                    req["request"]["customer"].update(customerId=f"C{i % (n // 4 + 1)}", loyaltyCardNo=f"L{i}")
                    r = await client.post("/pos/v2/evaluate", data=orjson.dumps(req), headers=HEADERS)
                    if r.status_code != 200:
                        failures[f"evaluate {r.status_code}"] += 1
                        return
                    counter = orjson.loads(await r.get_data())["meta"]["header"]["transactionCounter"]
                    confirm = {"request": {"header": {"transactionId": f"M{i:07d}", "transactionCounter": counter}}}
                    r = await client.post("/pos/v2/confirm", data=orjson.dumps(confirm),
                                          headers={**HEADERS, "Idempotency-Key": f"confirm-{i}"})
                    if r.status_code != 200:
                        failures[f"confirm {r.status_code}"] += 1

            started = time.monotonic()
            async with trio.open_nursery() as nursery:
                for i in range(n):
                    nursery.start_soon(one, i)
            while await services.store.jobs.queue_length("bench"):  # let the side-effects jobs finish
                await trio.sleep(0.2)
            await trio.sleep(1.0)
            print(f"{n:,} transactions in {time.monotonic() - started:.0f} s; failures: {dict(failures) or 'none'}")


def report(rdb: redis.Redis, before: int, n: int) -> None:
    after = int(rdb.info("memory")["used_memory"])
    print(f"used_memory: {before / 2**20:.1f} MiB before, {after / 2**20:.1f} MiB after: "
          f"{(after - before) / n:,.0f} bytes per transaction")
    keys: dict[str, list[str]] = defaultdict(list)
    for k in rdb.scan_iter(count=10_000):
        keys[family(k.decode())].append(k)
    print(f"{'family':<34} {'keys':>9} {'bytes/key':>10} {'MiB':>8}  ttl")
    rows = []
    for fam, ks in keys.items():
        sample = ks[:SAMPLE]
        size = sum(rdb.memory_usage(k) or 0 for k in sample) / len(sample)
        ttls = {ttl_class(rdb.ttl(k)) for k in sample}
        rows.append((size * len(ks), fam, len(ks), size, ", ".join(sorted(ttls))))
    for total, fam, count, size, ttls in sorted(rows, reverse=True):
        print(f"{fam:<34} {count:>9,} {size:>10,.0f} {total / 2**20:>8.1f}  {ttls}")
    day = sum(t for t, *_, ttls in rows if ttls == "<= 2 days")
    print(f"gone within 2 days (TTL): {day / 2**20:.1f} MiB; kept longer: {(sum(r[0] for r in rows) - day) / 2**20:.1f} MiB "
          f"({(sum(r[0] for r in rows) - day) / n:,.0f} bytes per transaction)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="transactions (default 100,000)")
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_redis_server(Path(tmp) / "redis", persist=False)
        try:
            rdb = redis.Redis.from_url(server.url)
            before = int(rdb.info("memory")["used_memory"])
            trio.run(run, args.n, args.concurrency, server.url)
            report(rdb, before, args.n)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
