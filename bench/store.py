"""Store actor throughput against the EVALSHA ceiling of the same Redis server.

    python -m bench.store [--url URL] [--n 20000] [--tasks 500] [--pool 4]

Without --url a private redis-server is started (and stopped). Prints, for the store actor
driven by many concurrent trio tasks: next_counter (evaluate's write), coupon_reserve and
confirm (one budget consumed) per second; then the ceiling: ``redis-benchmark`` running EVALSHA
of next_counter.lua with pipelining (or, without redis-benchmark on PATH, a pipelined EVALSHA
loop from several redis-py threads, which the output says) and the ratio actor / ceiling.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
import threading
import time
from urllib.parse import urlparse

import redis
import trio

from actors.store import open_store
from dre.store.records import BudgetUse
from dre.store.scripts import lua_source
from dre.store.server import start_redis_server

TENANT = "bench"
BENCH_CLIENTS = 50  # redis-benchmark connections
BENCH_PIPELINE = 32  # redis-benchmark commands per round trip
CODE_CHUNK = 1000  # codes created per coupon_generate call


async def drive(n: int, tasks: int, op) -> float:
    """Run op(i) for i < n from ``tasks`` concurrent tasks; returns operations per second."""
    it = iter(range(n))

    async def worker():
        for i in it:
            await op(i)

    start = time.perf_counter()
    async with trio.open_nursery() as nursery:
        for _ in range(tasks):
            nursery.start_soon(worker)
    return n / (time.perf_counter() - start)


async def actor_figures(url: str, n: int, tasks: int, pool: int) -> dict[str, float]:
    async with open_store(url, pool_size=pool) as store:
        await store.coupon_type_put(TENANT, "B", kind="INDIVIDUAL", prefix="B", code_length=12)
        codes: list[str] = []
        for start in range(0, n, CODE_CHUNK):
            codes += await store.coupon_generate(TENANT, "B", min(CODE_CHUNK, n - start))
        out = {}
        out["next_counter"] = await drive(n, tasks, lambda i: store.next_counter(TENANT, f"T{i}", "{}"))
        out["coupon_reserve"] = await drive(
            n, tasks, lambda i: store.coupon_reserve(TENANT, codes[i], f"T{i}", customer_id=f"C{i}")
        )
        use = BudgetUse("P1", 100, amount_limit_cents=100 * n * 10)
        batches = store.batches
        out["confirm"] = await drive(n, tasks, lambda i: store.confirm(
            TENANT, f"T{i}", 1, customer_id=f"C{i}", promotions=[use], coupons=[],
            answer="{}", job_payload="{}"))
        out["confirm_batch"] = n / max(1, store.batches - batches)
        return out


def ceiling_redis_benchmark(url: str, n: int) -> tuple[float, str]:
    u = urlparse(url)
    sha = redis.Redis.from_url(url).script_load(lua_source("next_counter"))
    cmd = [
        "redis-benchmark", "-h", u.hostname or "127.0.0.1", "-p", str(u.port or 6379),
        "-n", str(max(n * 5, 100_000)), "-c", str(BENCH_CLIENTS), "-P", str(BENCH_PIPELINE),
        "-r", "1000000", "-q",
        "EVALSHA", sha, "2", "dre:{ceil}:c:__rand_int__", "dre:{ceil}:i:__rand_int__", "{}", "86400000",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300).stdout
    m = re.findall(r"([\d.]+) requests per second", out)
    return float(m[-1]), f"redis-benchmark -c {BENCH_CLIENTS} -P {BENCH_PIPELINE}"


def ceiling_threads(url: str, n: int, threads: int = 4, pipeline: int = 256) -> tuple[float, str]:
    client = redis.Redis.from_url(url)
    script = client.register_script(lua_source("next_counter"))
    per = max(n // threads, pipeline)

    def loop(t: int) -> None:
        for start in range(0, per, pipeline):
            with client.pipeline(transaction=False) as p:
                for i in range(start, start + pipeline):
                    script(keys=[f"dre:{{ceil}}:c:{t}:{i}", f"dre:{{ceil}}:i:{t}:{i}"], args=["{}", 86_400_000], client=p)
                p.execute()

    ts = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
    start = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return per * threads / (time.perf_counter() - start), f"redis-py pipelined EVALSHA, {threads} threads (redis-benchmark not on PATH)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url")
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--tasks", type=int, default=500)
    ap.add_argument("--pool", type=int, default=4)
    a = ap.parse_args()
    server = None
    url = a.url
    if url is None:
        server = start_redis_server(tempfile.mkdtemp(prefix="dre-bench-"), persist=False)
        url = server.url
    try:
        figures = trio.run(actor_figures, url, a.n, a.tasks, a.pool)
        if shutil.which("redis-benchmark"):
            ceiling, how = ceiling_redis_benchmark(url, a.n)
        else:
            ceiling, how = ceiling_threads(url, a.n)
    finally:
        if server:
            server.stop()
    print(f"store actor, {a.tasks} concurrent tasks, pool {a.pool}, n={a.n}")
    for name in ("next_counter", "coupon_reserve", "confirm"):
        print(f"  {name:<15} {figures[name]:>10,.0f} ops/s   {figures[name] / ceiling:6.1%} of ceiling")
    print(f"  confirm: {figures['confirm_batch']:.0f} requests per pipeline on average")
    print(f"EVALSHA ceiling (next_counter.lua): {ceiling:,.0f} ops/s  [{how}]")


if __name__ == "__main__":
    main()
