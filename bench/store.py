"""Store actor throughput against the EVALSHA ceiling of the same Redis, measured in the same
round, on one node and on a 3-master Redis Cluster in the same run.

    python -m bench.store [--url URL] [--n 20000] [--tasks 500] [--pool 4] [--repeat 3]
                          [--procs 2] [--cluster-masters 3]

Without --url a private redis-server is started (and stopped); with ``--cluster-masters N`` (N >= 1;
0 skips it) a private N-master cluster too, and every figure below is printed for each.

Each of ``--repeat`` rounds drives the store actor with ``--tasks`` concurrent trio tasks through
``--n`` calls of each operation - next_counter (evaluate's write), coupon_reserve (of codes whose
type the worker knows: it created them, as after the evaluate's validate of a code), reserve_cold
(codes another worker created: the reserve reads the code's type first, a second request),
confirm (one budget consumed) - with the ceiling measured in slices around them. The figures are
the medians of the rounds (the development machine is shared: rates swing between rounds, so each
round's share of the ceiling is taken against that round's own ceiling, and the median of those
shares is printed):

* ops/s and its range over the rounds, and its share of the ceiling;
* client CPU per op (this process, all threads) and Redis CPU per op (``INFO cpu`` of every
  master). Both are far less sensitive to a busy machine than ops/s and show which side is the
  bound;
* script µs: Redis's own time per EVALSHA (``INFO commandstats`` usec_per_call);
* requests per op and requests per pipeline;
* ``--max-batch N``: the store actor's requests per pipeline at most (the service's MAX_BATCH by
  default): smaller pipelines let Redis and the client work at once where each has a core;
* with ``--by-script``, one more round: Redis's time per script of each operation (a confirm runs
  three; ``bench.store_scripts``).

The ceiling is Redis's, not a client's: EVALSHA of next_counter.lua with its five keys (fresh
ones per call, as an evaluate of a new transaction), pre-encoded and pipelined 64 deep on 4
connections per master, every master loaded at once, so redis-server, not the client (about a
microsecond of CPU per call), is the bound. Every reply is checked: an error reply (a script
called with the wrong keys, say) stops the bench instead of counting as a call.

Redis's rate depends on its keyspace, which the operations grow by ~0.3 M keys a round: while
Redis moves a key table that filled up to one twice its size, every command pays for it (up to
half the rate here). A ceiling measured once, after the operations, swung with whether such a
move fell into it (~60k/s or ~120k/s in the same run; a change that wrote one key fewer per
confirm looked slower), and so did the operations. So a private Redis is first filled with
long-lived keys just past half of a table size that leaves room for every round (2.1 M keys at
the defaults, read once so that the move is over before the first round), and the last line
says whether the table still grew. Each round measures the ceiling in five slices - before the
first operation and after each - and takes the median slice; the slices are printed.

Finally the same three operations from ``--procs`` processes, each with its own store actor, at
once (scale-out of the service side; 0 skips it).

The bench's process collects garbage as a service worker does (``api.serve.settle_heap``: the
heap frozen, young collections every 20,000 objects): with Python's default every 700, the
collector's walks were ~15 % of a store call's client CPU here, a cost the service does not pay.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse

import hiredis
import redis
import trio
from redis.connection import parse_url
from redis.crc import key_slot

from actors.redis_cluster_server import start_redis_cluster
from actors.redis_server import start_redis_server
from actors.store import open_store
from actors.store_core import MAX_BATCH
from api.serve import settle_heap
from bench.store_scripts import ScriptTime, script_names, split
from dre.store.records import BudgetUse
from dre.store.scripts import lua_source

TENANT = "bench"
CEILING_CONNECTIONS = 4  # per master
CEILING_DEPTH = 64  # EVALSHA calls per round trip of each ceiling connection
# Keys a round of the operations and the ceiling's slices leaves per --n, on one node, with a
# margin (~16 measured: ~320,000 a round at n=20,000): what the key tables are sized for (prefill).
KEYS_PER_N = 24
FILL_CHUNK = 100_000  # keys written per call of FILL_LUA
# Long-lived keys, each with a TTL, so that Redis's expiry table is sized with its key table.
FILL_LUA = "for i = tonumber(ARGV[2]), tonumber(ARGV[3]) do redis.call('SET', ARGV[1] .. i, '', 'PX', 86400000) end"
# A lookup of each: Redis moves its tables to their doubled size a bucket per lookup (and a
# millisecond in ten in the background), so the first round would run during the move otherwise.
TOUCH_LUA = "for i = tonumber(ARGV[2]), tonumber(ARGV[3]) do redis.call('EXISTS', ARGV[1] .. i) end"
CODE_CHUNK = 1000  # codes created per store.coupons.generate call
OPS = ("next_counter", "coupon_reserve", "reserve_cold", "confirm")


@dataclass
class Figure:
    ops_s: float
    client_us: float  # CPU of this process per op (µs)
    redis_us: float  # CPU of redis-server per op (µs), every master together
    script_us: float  # Redis's time per EVALSHA (INFO commandstats)
    requests: float  # store requests per op
    per_pipeline: float  # requests per pipeline


@dataclass
class Ceiling:
    ops_s: float  # every master together
    per_master: list[float]
    client_us: float  # CPU of this process per call
    redis_us: float  # CPU of redis-server per call
    script_us: float  # Redis's time per EVALSHA


def master_urls(url: str) -> list[str]:
    """The URL of every master: ``url`` itself for a single node."""
    probe = redis.Redis.from_url(url)
    if probe.info("cluster").get("cluster_enabled") != 1:
        return [url]
    return [f"redis://{host.decode()}:{port}/0" for _, _, (host, port, *_), *_ in probe.cluster("SLOTS")]


def redis_cpu_s(nodes: list[redis.Redis]) -> float:
    """CPU seconds of every master together."""
    return sum(float(i["used_cpu_user"]) + float(i["used_cpu_sys"]) for i in (n.info("cpu") for n in nodes))


def evalsha_stats(nodes: list[redis.Redis]) -> tuple[int, int]:
    """(EVALSHA calls, their µs) so far, every master together (INFO commandstats)."""
    stats = [n.info("commandstats").get("cmdstat_evalsha", {}) for n in nodes]
    return sum(int(s.get("calls", 0)) for s in stats), sum(int(s.get("usec", 0)) for s in stats)


class Meter:
    """Client CPU, Redis CPU and EVALSHA time between its start and :meth:`per_call`."""

    def __init__(self, nodes: list[redis.Redis]) -> None:
        self.nodes = nodes
        self.cpu, self.rcpu, self.evalsha = time.process_time(), redis_cpu_s(nodes), evalsha_stats(nodes)

    def per_call(self, n: int) -> tuple[float, float, float]:
        """(client µs, Redis µs) per one of ``n`` calls, and Redis's µs per EVALSHA."""
        calls, usec = (a - b for a, b in zip(evalsha_stats(self.nodes), self.evalsha))
        return ((time.process_time() - self.cpu) / n * 1e6, (redis_cpu_s(self.nodes) - self.rcpu) / n * 1e6,
                usec / max(1, calls))


async def drive(n: int, tasks: int, op) -> float:
    """Run op(i) for i < n from ``tasks`` concurrent tasks; returns elapsed seconds."""
    it = iter(range(n))

    async def worker():
        for i in it:
            await op(i)

    start = time.perf_counter()
    async with trio.open_nursery() as nursery:
        for _ in range(tasks):
            nursery.start_soon(worker)
    return time.perf_counter() - start


async def measure(store, probe: list[redis.Redis], n: int, tasks: int, op) -> Figure:
    batches, requests, meter = store.core.batches, store.core.requests, Meter(probe)
    elapsed = await drive(n, tasks, op)
    client_us, redis_us, script_us = meter.per_call(n)
    return Figure(n / elapsed, client_us, redis_us, script_us, (store.core.requests - requests) / n,
                  (store.core.requests - requests) / max(1, store.core.batches - batches))


async def actor_run(url: str, n: int, tasks: int, pool: int, tag: str, barrier=None, by_script: bool = False,
                    max_batch: int = MAX_BATCH, between: Callable[[], None] | None = None,
                    ) -> dict[str, Figure] | dict[str, list[ScriptTime]]:
    """One round of the three operations on fresh keys (``tag`` keeps rounds and processes apart).

    ``barrier`` (a multiprocessing.Barrier): wait for the other processes before each operation.
    ``by_script``: Redis's time per script of each operation instead (bench.store_scripts).
    ``max_batch``: the store actor's requests per pipeline at most (``--max-batch``).
    ``between``: called before the first operation and after each (a slice of the ceiling).
    """
    probe = [redis.Redis.from_url(u) for u in master_urls(url)]
    async with open_store(url, pool_size=pool, max_batch=max_batch) as store:
        await store.coupon_types.put(TENANT, "B", kind="INDIVIDUAL", prefix="B", code_length=12)
        codes: list[str] = []  # made by this store: their type is known, as after a validate
        for start in range(0, n, CODE_CHUNK):
            codes += await store.coupons.generate(TENANT, "B", min(CODE_CHUNK, n - start))
        cold: list[str] = []  # made by another worker: each reserve reads the code's type first
        async with open_store(url, pool_size=1) as other:
            for start in range(0, n, CODE_CHUNK):
                cold += await other.coupons.generate(TENANT, "B", min(CODE_CHUNK, n - start))
        use = BudgetUse(f"P{tag}", 100, amount_limit_cents=100 * n * 10)
        ops = {
            "next_counter": lambda i: store.transactions.next_counter(TENANT, f"T{tag}-{i}", "{}"),
            "coupon_reserve": lambda i: store.coupons.reserve(
                TENANT, codes[i], f"T{tag}-{i}", customer_id=f"C{i}"),
            "reserve_cold": lambda i: store.coupons.reserve(TENANT, cold[i], f"U{tag}-{i}", customer_id=f"C{i}"),
            "confirm": lambda i: store.transactions.confirm(  # counter 1 was issued by next_counter above
                TENANT, f"T{tag}-{i}", 1, customer_id=f"C{i}", promotions=[use], coupons=[],
                answer="{}", job_payload="{}"),
        }
        out = {}
        names = script_names(store.core.scripts)
        if between is not None:
            between()
        for name in OPS:
            if barrier is not None:
                await trio.to_thread.run_sync(barrier.wait)
            if by_script:
                out[name] = await split(probe, names, n, lambda op=ops[name]: drive(n, tasks, op))
            else:
                out[name] = await measure(store, probe, n, tasks, ops[name])
            if between is not None:
                between()
        return out


def _process_main(url, n, tasks, pool, tag, barrier, results) -> None:
    settle_heap()
    figures = trio.run(actor_run, url, n, tasks, pool, tag, barrier)
    results.put({name: (f.ops_s, n) for name, f in figures.items()})


def scale_out(url: str, n: int, tasks: int, pool: int, procs: int) -> dict[str, float]:
    """Total ops/s of ``procs`` processes, each running its own store actor, started together.

    Each process does n operations of each kind; the total is the sum of their rates (they run
    the same operation at the same time: a barrier starts each operation together).
    """
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(procs), ctx.Queue()
    ps = [ctx.Process(target=_process_main, args=(url, n, tasks, pool, f"p{i}", barrier, results))
          for i in range(procs)]
    for p in ps:
        p.start()
    got = [results.get(timeout=600) for _ in ps]
    for p in ps:
        p.join()
        if p.exitcode:
            raise RuntimeError(f"a scale-out process failed (exit code {p.exitcode})")
    return {name: sum(g[name][0] for g in got) for name in OPS}


def node_tag(url: str) -> str:
    """A hash tag whose slot this node serves (any tag on a single node)."""
    client = redis.Redis.from_url(url)
    if client.info("cluster").get("cluster_enabled") != 1:
        return "ceil"
    mine = [(int(a), int(b)) for a, b, (host, port, *_), *_ in client.cluster("SLOTS")
            if port == (urlparse(url).port or 6379)]
    return next(f"ceil{i}" for i in range(100_000) if any(a <= key_slot(f"ceil{i}".encode()) <= b for a, b in mine))


def ceiling_payloads(url: str, calls: int, tag: str) -> list[list[tuple[bytes, int]]]:
    """Per connection: its round trips, each (the pipelined EVALSHA commands, how many).

    next_counter.lua's five keys (counter, iterations, refused set, answer copy, seal; see
    actors/store_ops/transactions.py) are fresh for each call, in a slot of this master."""
    sha = redis.Redis.from_url(url).script_load(lua_source("next_counter"))
    node = node_tag(url)
    per = max(1, calls // CEILING_CONNECTIONS)
    out = []
    for c in range(CEILING_CONNECTIONS):
        trips = []
        for start in range(0, per, CEILING_DEPTH):
            batch = range(start, min(per, start + CEILING_DEPTH))
            trips.append((b"".join(hiredis.pack_command(
                ("EVALSHA", sha, 5, *(f"dre:{{{node}}}:{tag}:{c}:{i}:{k}" for k in "cirds"), "{}", 86_400_000))
                for i in batch), len(batch)))
        out.append(trips)
    return out


def _connect(url: str) -> socket.socket:
    """A raw connection to ``url``, authenticated, its db selected."""
    opts = parse_url(url)
    sock = socket.create_connection((opts.get("host", "localhost"), opts.get("port", 6379)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    hello = []
    if opts.get("password"):
        hello.append(("AUTH", *([opts["username"]] if opts.get("username") else []), opts["password"]))
    if opts.get("db"):
        hello.append(("SELECT", opts["db"]))
    for command in hello:
        sock.sendall(hiredis.pack_command(command))
        reply = sock.recv(1024)
        if not reply.startswith(b"+OK"):
            raise RuntimeError(f"{command[0]} refused by {url}: {reply!r}")
    return sock


def _ceiling_connection(sock: socket.socket, trips: list[tuple[bytes, int]], start: threading.Barrier,
                        failures: list[str], ends: list[float]) -> None:
    """Send each round trip, read and check its replies (each a counter >= 1); appends to
    ``ends`` when its last reply came."""
    reader = hiredis.Reader()
    start.wait()
    try:
        for payload, count in trips:
            sock.sendall(payload)
            got = 0
            while got < count:
                reply = reader.gets()
                if reply is False:
                    data = sock.recv(65536)
                    if not data:
                        raise ConnectionError("Redis closed the connection")
                    reader.feed(data)
                    continue
                got += 1
                if not isinstance(reply, int) or reply < 1:
                    raise RuntimeError(f"next_counter.lua answered {reply!r} in the ceiling run")
        ends.append(time.perf_counter())
    except Exception as exc:  # noqa: BLE001 (reported by the main thread: the ceiling is then meaningless)
        failures.append(f"{type(exc).__name__}: {exc}")


def ceiling(url: str, calls: int, tag: str) -> Ceiling:
    """EVALSHA of next_counter.lua, ``calls`` per master, on every master at once (see the module
    docstring). Raises RuntimeError if any call failed."""
    urls = master_urls(url)
    nodes = [redis.Redis.from_url(u) for u in urls]
    payloads = [ceiling_payloads(u, calls, tag) for u in urls]
    socks = [[_connect(u) for _ in range(CEILING_CONNECTIONS)] for u in urls]
    start, failures = threading.Barrier(len(urls) * CEILING_CONNECTIONS + 1), []
    ends: list[list[float]] = [[] for _ in urls]  # per master: when each connection got its last reply
    threads = [threading.Thread(target=_ceiling_connection, args=(s, trips, start, failures, ends[m]))
               for m, (node_socks, node_trips) in enumerate(zip(socks, payloads))
               for s, trips in zip(node_socks, node_trips)]
    try:
        for t in threads:
            t.start()
        meter = Meter(nodes)
        start.wait()
        began = time.perf_counter()
        for t in threads:
            t.join()
    finally:
        for node_socks in socks:
            for s in node_socks:
                s.close()
    if failures:
        raise RuntimeError(f"{len(failures)} ceiling connections failed; the first: {failures[0]}")
    done = [sum(count for trips in node_trips for _, count in trips) for node_trips in payloads]
    client_us, redis_us, script_us = meter.per_call(sum(done))
    last = [max(e) - began for e in ends]  # a master's rate: its calls over the time to its last reply
    return Ceiling(sum(done) / max(last), [d / t for d, t in zip(done, last)], client_us, redis_us, script_us)


def table_slots(keys: int) -> int:
    """The slots of Redis's key table once it holds ``keys`` keys (it doubles when full)."""
    size = 4
    while size < keys:
        size *= 2
    return size


def prefill(url: str, growth: int) -> tuple[int, int]:
    """Fill every master with long-lived keys, so that its key and expiry tables need not grow by
    ``growth`` more keys: just past half of a table size that leaves that much room. Returns (keys
    per master, the table's slots)."""
    slots = table_slots(2 * growth + 2)
    keys = slots // 2 + 1  # the table doubled to ``slots`` at ``slots // 2`` keys
    for u in master_urls(url):
        client = redis.Redis.from_url(u)
        prefix = f"dre:{{{node_tag(u)}}}:fill:"
        have = client.dbsize()
        for script, first in ((FILL_LUA, have), (TOUCH_LUA, 0)):
            for start in range(first, keys, FILL_CHUNK):
                client.eval(script, 0, prefix, start, min(keys, start + FILL_CHUNK) - 1)
    return keys, slots


@dataclass
class Round:
    figures: dict[str, Figure]
    ceiling: Ceiling  # the median slice (by ops/s)
    spread: list[int]  # EVALSHA calls of the actor's operations, per master
    slices: list[float]  # ops/s of each slice of the ceiling, in the order taken


def evalsha_calls(nodes: list[redis.Redis]) -> list[int]:
    """EVALSHA calls so far, per master (INFO commandstats)."""
    return [int(n.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)) for n in nodes]


def rounds(url: str, a: argparse.Namespace) -> list[Round]:
    """``a.repeat`` rounds: the operations through the actor, the ceiling in slices around them
    (module docstring)."""
    nodes = [redis.Redis.from_url(u) for u in master_urls(url)]
    per_slice = max(a.n, 2_000) // 2
    out = []
    for r in range(a.repeat):
        slices: list[Ceiling] = []
        spent: list[int] = []  # EVALSHA calls of the slices, per master (not the operations')

        def ceiling_slice() -> None:
            before = evalsha_calls(nodes)
            slices.append(ceiling(url, per_slice, f"r{r}s{len(slices)}"))
            gone = [after - b for after, b in zip(evalsha_calls(nodes), before)]
            spent[:] = [x + y for x, y in zip(spent, gone)] if spent else gone

        calls = evalsha_calls(nodes)
        figures = trio.run(actor_run, url, a.n, a.tasks, a.pool, f"r{r}", None, False, a.max_batch, ceiling_slice)
        spread = [after - before - s for after, before, s in zip(evalsha_calls(nodes), calls, spent)]
        middle = sorted(slices, key=lambda c: c.ops_s)[len(slices) // 2]
        out.append(Round(figures, middle, spread, [c.ops_s for c in slices]))
    return out


def median(values) -> float:
    return statistics.median(list(values))


def report(title: str, url: str, a: argparse.Namespace) -> None:
    """Every figure for the Redis at ``url`` (a single node or a cluster), printed."""
    urls = master_urls(url)
    fill = None
    if not a.url:  # a private Redis: never 2 M keys into one the caller named
        measured = a.repeat + (a.procs if a.procs > 1 else 0) + a.by_script  # rounds that add keys
        fill = prefill(url, measured * max(a.n, 2_000) * KEYS_PER_N)
    done = rounds(url, a)
    top = median(r.ceiling.ops_s for r in done)
    scaled = scale_out(url, a.n, a.tasks, a.pool, a.procs) if a.procs > 1 else None
    print(f"== {title}: store actor, {a.tasks} concurrent trio tasks, pool {a.pool}, n={a.n} per op, "
          f"median of {a.repeat} rounds")
    print(f"  {'operation':<15} {'ops/s':>8} {'range':>15} {'ceiling':>8} {'client µs/op':>13} "
          f"{'redis µs/op':>12} {'script µs':>10} {'req/op':>7} {'req/pipeline':>13}")
    for name in OPS:
        f = [r.figures[name] for r in done]
        share = median(x.ops_s / r.ceiling.ops_s for x, r in zip(f, done))
        lo, hi = min(x.ops_s for x in f), max(x.ops_s for x in f)
        print(f"  {name:<15} {median(x.ops_s for x in f):>8,.0f} {f'{lo:,.0f}-{hi:,.0f}':>15} {share:>8.1%} "
              f"{median(x.client_us for x in f):>13.1f} {median(x.redis_us for x in f):>12.1f} "
              f"{median(x.script_us for x in f):>10.1f} {median(x.requests for x in f):>7.2f} "
              f"{median(x.per_pipeline for x in f):>13.0f}")
    c = [r.ceiling for r in done]
    lo, hi = min(x.ops_s for x in c), max(x.ops_s for x in c)
    print(f"  {'EVALSHA ceiling':<15} {top:>8,.0f} {f'{lo:,.0f}-{hi:,.0f}':>15} {1:>8.1%} "
          f"{median(x.client_us for x in c):>13.1f} {median(x.redis_us for x in c):>12.1f} "
          f"{median(x.script_us for x in c):>10.1f}    (next_counter.lua, pipelined {CEILING_DEPTH} deep on "
          f"{CEILING_CONNECTIONS} connections per master)")
    print("  ceiling slices (ops/s; before the first operation, then after each): "
          + "; ".join(" / ".join(f"{x:,.0f}" for x in r.slices) for r in done))
    if len(urls) > 1:
        print("  ceiling per master, all loaded at once: " + ", ".join(
            f"{urlparse(u).port}: {median(x.per_master[m] for x in c):,.0f}/s" for m, u in enumerate(urls)))
        spread = [sum(r.spread[m] for r in done) for m in range(len(urls))]
        total = sum(spread) or 1
        print("  EVALSHA calls of the operations per master: "
              + ", ".join(f"{urlparse(u).port}: {n:,} ({n / total:.0%})" for u, n in zip(urls, spread)))
    if a.by_script:
        print("  Redis's time per script (SLOWLOG, one more round; a bit above the plain run's): "
              "calls/op x µs/call = µs/op")
        for name, rows in trio.run(actor_run, url, a.n, a.tasks, a.pool, "s", None, True).items():
            print(f"    {name:<15} " + "; ".join(
                f"{r.script} {r.calls_per_op:.2f} x {r.us_per_call:.1f} = {r.us_per_op:.1f}" for r in rows))
    if scaled:
        print(f"  {a.procs} processes, one store actor each ({a.tasks} tasks, pool {a.pool} per process), together:")
        for name in OPS:
            print(f"    {name:<15} {scaled[name]:>9,.0f} {scaled[name] / top:>8.1%}")
    most = max(redis.Redis.from_url(u).dbsize() for u in urls)
    if fill is None:
        print(f"  keyspace: not prefilled (--url); {most:,} keys on the fullest master at the end")
    else:
        filled, slots = fill
        grew = "did not grow while measured" if most < slots else "GREW while measured: a rehash may be in the figures"
        print(f"  keyspace: {filled:,} keys prefilled per master (a key table of {slots:,} slots); {most:,} on the "
              f"fullest at the end: the table {grew}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url")
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--tasks", type=int, default=500)
    ap.add_argument("--pool", type=int, default=4)
    ap.add_argument("--max-batch", type=int, default=MAX_BATCH, help="requests per pipeline at most "
                    "(the store actor's max_batch)")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; the medians are reported")
    ap.add_argument("--procs", type=int, default=2, help="processes for the scale-out line (0: skip)")
    ap.add_argument("--by-script", action="store_true", help="one more round: Redis's time per script of "
                    "each operation (SLOWLOG)")
    ap.add_argument("--cluster-masters", type=int, default=3, help="also on a private cluster of this many "
                    "masters (0: skip)")
    a = ap.parse_args()
    settle_heap()  # the worker's collector settings (module docstring); the processes of --procs too
    server = cluster = None
    url = a.url
    try:
        if url is None:
            server = start_redis_server(tempfile.mkdtemp(prefix="dre-bench-"), persist=False)
            url = server.url
        report(f"one node ({url})", url, a)
        if a.cluster_masters > 0:
            cluster = start_redis_cluster(tempfile.mkdtemp(prefix="dre-bench-cluster-"), masters=a.cluster_masters)
            report(f"Redis Cluster, {a.cluster_masters} masters", cluster.url, a)
    finally:
        if server:
            server.stop()
        if cluster:
            cluster.stop()


if __name__ == "__main__":
    main()
