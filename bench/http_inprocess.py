"""DRE's own CPU per HTTP evaluate, in process: ``python -m bench.http_inprocess``.

The machine's noise (2 shared cores, a load generator competing with the server) hides a
difference of a tenth of a millisecond in ``bench.http``'s throughput ratio. This bench calls the
worker's ASGI app directly (no sockets, no load generator: the same app ``dre serve`` wraps, with
its hooks for auth, limits, logs, metrics, idempotency, and its store actor on a real Redis) and
counts the process's CPU time (``time.process_time``: every thread, so the pricing lanes too) per
request, for ``POST /bench/echo`` (the HTTP stack without pricing, answering as many bytes) and
``POST /pos/v2/evaluate`` on the same bodies: 30-line baskets over 10k promotions (bench.engine's
heavy mix). In the same round the engine's pricing of the same baskets is measured alone (the
actor message, the lane thread, the kernels: ``services.engine.price``), and DRE's own cost per
evaluate is evaluate - echo - pricing: validation, the basket, coupons/budgets/customer context,
the counter's store call, the response and the iteration record (goal <= 0.1 ms). Rounds
alternate the routes; the summary is the median of the rounds, with their range, and DRE's own
(with ``--floor``, its floor too) as a share of the same round's echo: this VM's speed drifts 2-4
times by the hour, and the share does not.

``--against DIR`` compares two checkouts on the drifting machine: this bench runs in this
checkout and with DIR's code (``git worktree add --detach DIR main``) in turn, ``--alternations``
times, each a separate process, and prints both checkouts' medians side by side.

``--floor`` adds, in every round, what an evaluate cannot skip with today's parts, each measured
alone in the same process and concurrency: the body read and validated into the basket
(``dre.wire.evaluate_fast``, ``dre.basket``), the answer's lines (``dre.priced_lines``, written
by kernels.answer_lines) on top of pricing, the counter's store call (``next_counter`` with a
minimal iteration), and the *floor*: all of them in one flow, no HTTP, answering the lines and
the counter - no coupons, budgets or customer context, no totals, record or meta. The floor less
pricing is the least DRE's own could be without new parts (issue 18, goal 6).

``--breakdown`` first runs one instrumented round of each (``bench.task_cpu``): the trio thread's
CPU per request by task (the request's own, the store actor's, the engine's actors...) and the
request task's stretches between awaits, so that what evaluate - echo - pricing is made of can be
read without a sampler.

The requests come ``--concurrency`` at a time (the store actor shares a pipeline between the
calls of one scheduler round, as it does under load). Redis's own CPU is in its own process and
is not counted.
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

import orjson
import trio

from actors.engine import Engine, build_promotion_set
from actors.redis_server import start_redis_server
from actors.reloader import LOCAL_FILE_VERSION
from api.app import create_app
from api.ops.routes import ECHO_ENV
from api.worker import open_services
try:
    from api.serve import settle_heap
except ImportError:  # --against an older checkout: its api.serve only froze the heap
    settle_heap = gc.freeze
from bench import engine as workload
from dre.basket import parse_evaluate_body
from dre.config import load_config
from dre.pricing import Context

API_KEY = "bench-key"
TENANT = "bench"
ECHO = "/bench/echo"
EVALUATE = "/pos/v2/evaluate"
GOAL_US = 100.0  # evaluate - echo - pricing, CPU per request
T = TypeVar("T")


def request_bodies(n: int, promotions: int, seed: int = 3, mix: str = "heavy") -> tuple[list[bytes], list]:
    """``n`` evaluate bodies of 30-line baskets (bench.engine's, over its catalogue) and the
    promotions (bench.engine's ``mix``). Each has its own transactionId (every evaluate is that
    transaction's first)."""
    cat = workload.catalogue()
    promos = workload.promotions(promotions, cat, mix=mix)
    out = []
    for k, b in enumerate(workload.baskets(n, cat, promos, seed)):
        out.append(orjson.dumps({"request": {
            "header": {"transactionId": f"T{seed}-{k:06d}-{random.getrandbits(32):08x}", "storeId": "S1",
                       "currency": "EUR", "timestamp": b.time.isoformat()},
            "posGroupCode": b.pos_group,
            "items": [{"lineReference": ln.ref, "articleNumber": ln.article, "articleGroupId": ln.group,
                       "quantity": ln.milli / 1000, "unitPrice": ln.unit_price / 100} for ln in b.lines],
            "customer": {"customerId": b.customer_id},
        }}))
    return out, promos


class Caller:
    """Calls an ASGI app with one POST and collects its answer (status, body), without sockets."""

    def __init__(self, app) -> None:
        self.app = app

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080),
            "headers": [(b"host", b"127.0.0.1:8080"), (b"authorization", f"Bearer {API_KEY}".encode()),
                        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            "extensions": {},
        }
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await trio.sleep_forever()  # http.disconnect only when the client goes; this one waits

        async def send(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


async def timed(caller: Caller, path: str, bodies: list[bytes], concurrency: int) -> float:
    """CPU microseconds per request of ``bodies`` sent to ``path``, ``concurrency`` at a time."""
    errors: list[tuple[int, bytes]] = []

    async def one(body: bytes) -> None:
        status, answer = await caller.post(path, body)
        if status != 200:
            errors.append((status, answer[:300]))

    cpu = await cpu_per_item(one, bodies, concurrency)
    if errors:
        raise RuntimeError(f"{len(errors)} of {len(bodies)} requests to {path} failed, first: {errors[0]}")
    return cpu


async def cpu_per_item(one: Callable[[T], Awaitable[object]], items: Sequence[T], concurrency: int) -> float:
    """CPU microseconds of the process per ``one(item)``, ``concurrency`` at a time."""
    gc.collect()
    cpu = time.process_time()
    await each(one, items, concurrency)
    cpu = time.process_time() - cpu
    return cpu / len(items) * 1e6


async def each(one: Callable[[T], Awaitable[object]], items: Sequence[T], concurrency: int) -> None:
    """``one(item)`` for every item, ``concurrency`` at a time."""
    it = iter(items)

    async def lane() -> None:
        for item in it:
            await one(item)

    async with trio.open_nursery() as nursery:
        for _ in range(concurrency):
            nursery.start_soon(lane)


async def kernels_serving(engine: Engine, limit_s: float = 300.0) -> None:
    """Wait until the bench's set prices with the kernels: the service warms them up in the
    background and swaps the compiled set in when they are ready (actors.engine); measured before
    that, a round would price on the reference path and pay for the compiled set's build."""
    if not hasattr(engine, "pricing_path"):  # --against an older checkout
        return
    with trio.move_on_after(limit_s):
        while engine.pricing_path(TENANT) != "KERNELS":
            await trio.sleep(0.05)
    if engine.pricing_path(TENANT) != "KERNELS":
        print(f"the kernels did not come ready in {limit_s:.0f} s: the rounds price on the reference path", flush=True)


async def run(args: argparse.Namespace, redis_url: str) -> list[dict]:
    per_round = args.requests
    bodies, promos = request_bodies(per_round * (args.rounds + 1), args.promotions, mix=args.mix)
    config = load_config({"DRE_API_KEYS": f"{TENANT}:{API_KEY}", "DRE_PRICE_DEADLINE_MS": "5000"})
    async with open_services(config, redis_url) as services:
        # the set as the reloader keeps it while the store has no rules (bench.engine's promotions
        # are models, not wire JSON: the store cannot hold them)
        services.engine.swap(TENANT, build_promotion_set(promos, LOCAL_FILE_VERSION, services.engine.n_shards))
        await kernels_serving(services.engine)
        probe = create_app(services)
        async with probe.test_app():
            status, answer = await Caller(probe).post(EVALUATE, bodies[0])
        if status != 200:
            raise RuntimeError(f"evaluate answered {status}: {answer[:500]!r}")
        before = os.environ.get(ECHO_ENV)
        os.environ[ECHO_ENV] = str(len(answer))  # the echo route answers as many bytes
        try:
            app = create_app(services)
        finally:  # read by create_app only: no later app of this process gets the route
            if before is None:
                del os.environ[ECHO_ENV]
            else:
                os.environ[ECHO_ENV] = before
        app.extensions["QUART_SCHEMA"].openapi_provider.schema()  # as api.serve does, before gc.freeze
        async with app.test_app():
            caller = Caller(app)
            warm = bodies[1:per_round + 1]
            await timed(caller, EVALUATE, warm, args.concurrency)
            await timed(caller, ECHO, warm, args.concurrency)
            settle_heap()  # as api.serve does after start-up
            ctx = Context()

            async def price(basket) -> None:
                await services.engine.price(TENANT, basket, ctx)

            results = []
            if args.breakdown:
                await breakdown(caller, warm, price, args.concurrency)
            for r in range(args.rounds):
                chunk = bodies[(r + 1) * per_round:(r + 2) * per_round]
                baskets = [parse_evaluate_body(orjson.loads(b))[1] for b in chunk]
                echo = await timed(caller, ECHO, chunk, args.concurrency)
                evaluate = await timed(caller, EVALUATE, chunk, args.concurrency)
                pricing = await cpu_per_item(price, baskets, args.concurrency)
                own = evaluate - echo - pricing
                # as shares of the same round's echo too: this VM's speed drifts 2-4 times by the hour
                results.append({"echo_us": echo, "evaluate_us": evaluate, "pricing_us": pricing,
                                "evaluate_minus_echo_us": evaluate - echo, "dre_us": own, "dre_per_echo": own / echo})
                print(f"round {r + 1}/{args.rounds}: echo {echo:7.1f}  evaluate {evaluate:7.1f}  "
                      f"engine pricing {pricing:7.1f}  own {own:6.1f} µs CPU per request", flush=True)
                if args.floor:
                    parts = await floor_parts(services, chunk, baskets, pricing, args.concurrency, f"r{r}")
                    results[-1].update(parts, floor_own_per_echo=parts["floor_own_us"] / echo)
                    print("  floor: " + "  ".join(f"{label} {parts[key]:6.1f}" for key, label in FLOOR_FIGURES),
                          flush=True)
    return results


async def floor_parts(services, bodies: list[bytes], baskets: list, pricing: float, concurrency: int,
                      tag: str) -> dict[str, float]:
    """--floor: the parts an evaluate cannot skip, each alone, and all of them in one flow (module
    docstring), CPU µs per request; ``pricing``: the same round's engine pricing alone."""
    # here, as breakdown's: --against runs this file with an older checkout's packages
    from dre.basket import basket_from_request
    from dre.priced_lines import priced_lines
    from dre.wire.evaluate_fast import decode_evaluate_body

    engine, transactions, ctx = services.engine, services.store.transactions, Context()
    record = b'{"applied":[]}'

    def basket_of(body: bytes):
        decoded = decode_evaluate_body(body)
        if decoded is None:
            raise RuntimeError("a bench body the fast reader is not sure of: the floor would price another path")
        return basket_from_request(decoded.request)

    async def decode(body: bytes) -> None:
        basket_of(body)

    async def price_and_lines(basket) -> None:
        priced = await engine.price(TENANT, basket, ctx)
        priced_lines(basket, priced.result, priced.facts, encoded=True)

    async def counter(basket) -> None:
        await transactions.next_counter(TENANT, f"{basket.transaction_id}-{tag}c", record)

    async def floor(body: bytes) -> None:
        basket = basket_of(body)
        priced = await engine.price(TENANT, basket, ctx)
        lines = priced_lines(basket, priced.result, priced.facts, encoded=True)
        n = await transactions.next_counter(TENANT, f"{basket.transaction_id}-{tag}f", record)
        orjson.dumps({"transactionCounter": n, "lineItems": lines.items})

    floor_us = await cpu_per_item(floor, bodies, concurrency)
    return {"decode_us": await cpu_per_item(decode, bodies, concurrency),
            "lines_us": await cpu_per_item(price_and_lines, baskets, concurrency) - pricing,
            "counter_us": await cpu_per_item(counter, baskets, concurrency),
            "floor_us": floor_us, "floor_own_us": floor_us - pricing}


async def breakdown(caller: Caller, bodies: list[bytes], price: Callable[[object], Awaitable[None]],
                    concurrency: int) -> None:
    """One instrumented round of each (bench.task_cpu): the trio thread's CPU per request by task,
    and the request task's stretches between awaits, for echo, evaluate and pricing alone."""
    from bench.task_cpu import TaskCPU  # here: --against runs this file with an older checkout's bench/

    baskets = [parse_evaluate_body(orjson.loads(b))[1] for b in bodies]
    runs: dict[str, "TaskCPU"] = {}
    totals: dict[str, tuple[float, float]] = {}  # (trio thread, other threads) µs per request
    for name, one, items in (("echo", lambda b: caller.post(ECHO, b), bodies),
                             ("evaluate", lambda b: caller.post(EVALUATE, b), bodies),
                             ("pricing", price, baskets)):
        probe = runs[name] = TaskCPU(split=("handle_request",))
        gc.collect()
        thread, process = time.thread_time(), time.process_time()
        with probe:
            await each(one, items, concurrency)
        thread, process = time.thread_time() - thread, time.process_time() - process
        totals[name] = (thread / len(items) * 1e6, (process - thread) / len(items) * 1e6)
    per = {name: {k: v / len(bodies) / 1e3 for k, v in probe.by_task.items()} for name, probe in runs.items()}
    print(f"breakdown: the trio thread's CPU per request, µs, by task (one instrumented round of {len(bodies)}; "
          f"~1 µs per task step is the probe's own)")
    print(f"  {'':<44} {'echo':>8} {'evaluate':>9} {'pricing':>8} {'own':>8}")
    for task in sorted(set().union(*per.values()), key=lambda t: -per["evaluate"].get(t, 0)):
        e, v, p = (per[n].get(task, 0.0) for n in ("echo", "evaluate", "pricing"))
        if max(e, v, p) >= 0.5:
            print(f"  {task:<44} {e:8.1f} {v:9.1f} {p:8.1f} {v - e - p:8.1f}")
    (te, oe), (tv, ov), (tp, op) = totals["echo"], totals["evaluate"], totals["pricing"]
    print(f"  {'the trio thread, all of it':<44} {te:8.1f} {tv:9.1f} {tp:8.1f} {tv - te - tp:8.1f}")
    print(f"  {'other threads (pricing lanes)':<44} {oe:8.1f} {ov:9.1f} {op:8.1f} {ov - oe - op:8.1f}")
    e, v, p = (runs[n].steps / len(bodies) for n in ("echo", "evaluate", "pricing"))
    print(f"  {'task steps per request':<44} {e:8.1f} {v:9.1f} {p:8.1f} {v - e - p:8.1f}")
    print("  the request task's stretches between awaits (resumed at -> stopped at):")
    for name in ("echo", "evaluate"):
        for (task, stretch), ns in sorted(runs[name].by_stretch.items(), key=lambda kv: -kv[1]):
            if ns / len(bodies) >= 500:
                print(f"    {name:<9} {ns / len(bodies) / 1e3:7.1f}  {stretch}")


FIGURES = (("echo_us", "echo (HTTP stack)"), ("evaluate_us", "evaluate"), ("pricing_us", "engine pricing alone"),
           ("evaluate_minus_echo_us", "evaluate - echo"), ("dre_us", "DRE's own (evaluate - echo - pricing)"))
# --floor's figures (floor_parts)
FLOOR_FIGURES = (("decode_us", "body to basket"), ("lines_us", "answer's lines"),
                 ("counter_us", "counter's store call"), ("floor_us", "floor (all of them, pricing too)"),
                 ("floor_own_us", "floor - pricing"))
HERE = Path(__file__).resolve().parent.parent


def compare(args: argparse.Namespace) -> int:
    """This checkout and ``args.against`` in turn, each in its own process; both medians."""
    runs: dict[str, list[dict]] = {"this checkout": [], str(args.against): []}
    for i in range(args.alternations):
        for name, checkout in (("this checkout", HERE), (str(args.against), args.against)):
            with tempfile.TemporaryDirectory(prefix="dre-inproc-cmp-") as scratch:
                out = Path(scratch) / "figures.json"
                # this file, run with the other checkout's packages (it needs only bench.engine there)
                argv = ["--promotions", str(args.promotions), "--mix", args.mix, "--requests", str(args.requests),
                        "--rounds", str(args.rounds), "--concurrency", str(args.concurrency), "--json", str(out)]
                # (run_path, not the file as a script: that would put bench/ first on sys.path, where
                # bench/http.py would shadow the standard library's http)
                code = f"import runpy, sys; sys.argv = {['http_inprocess', *argv]!r}; " \
                       f"runpy.run_path({str(Path(__file__).resolve())!r}, run_name='__main__')"
                subprocess.run([sys.executable, "-c", code],
                               cwd=checkout, env={**os.environ, "PYTHONPATH": str(checkout)}, check=True,
                               stdout=subprocess.DEVNULL)
                figures = orjson.loads(out.read_bytes())
            runs[name].append(figures)
            print(f"alternation {i + 1}/{args.alternations} {name:<20} " + "  ".join(
                f"{key.removesuffix('_us')} {figures[key]:7.1f}" for key, _ in FIGURES), flush=True)
    print(f"CPU µs per request, median of {args.alternations} alternations (each the median of its "
          f"{args.rounds} rounds):")
    names = list(runs)
    print(f"  {'':<40} " + "  ".join(f"{n[-20:]:>20}" for n in names))
    for key, label in FIGURES:
        print(f"  {label:<40} " + "  ".join(f"{statistics.median(r[key] for r in runs[n]):20.1f}" for n in names))
    if args.json:
        args.json.write_bytes(orjson.dumps(runs, option=orjson.OPT_INDENT_2))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.http_inprocess", description=__doc__.split("\n\n")[0])
    p.add_argument("--promotions", type=int, default=10_000)
    p.add_argument("--mix", choices=("heavy", "realistic"), default="heavy",
                   help="bench.engine's promotion mix (heavy: ~130 discounts on a 30-line basket at 10k)")
    p.add_argument("--requests", type=int, default=1000, help="requests per route per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--concurrency", type=int, default=8, help="requests in flight at once")
    p.add_argument("--json", type=Path, help="write the figures here")
    p.add_argument("--floor", action="store_true",
                   help="in every round, also what an evaluate cannot skip, each alone, and all of it in one flow")
    p.add_argument("--breakdown", action="store_true",
                   help="first, one instrumented round: the trio thread's CPU by task and between awaits")
    p.add_argument("--against", type=Path, help="another checkout to compare with (alternating processes)")
    p.add_argument("--alternations", type=int, default=3, help="with --against: runs of each checkout")
    args = p.parse_args(argv)
    if args.against:
        return compare(args)
    with tempfile.TemporaryDirectory(prefix="dre-inproc-") as scratch:
        redis = start_redis_server(scratch, persist=False)
        try:
            results = trio.run(run, args, redis.url)
        finally:
            redis.stop()
    summary = {key: statistics.median(r[key] for r in results) for key in results[0]}
    spread = {key: (min(r[key] for r in results), max(r[key] for r in results)) for key in results[0]}
    print(f"CPU per request, median of {len(results)} rounds ({args.promotions:,} promotions, {args.mix} mix, "
          f"30-line baskets, "
          f"concurrency {args.concurrency}, CPUs={os.cpu_count()}):")
    for key, name in FIGURES:
        lo, hi = spread[key]
        print(f"  {name:<40} {summary[key]:7.1f} µs  (rounds: {lo:.1f}–{hi:.1f})")
    print(f"  goal: DRE's own <= {GOAL_US:.0f} µs: {'met' if summary['dre_us'] <= GOAL_US else 'not met'}")
    floor_share = f", floor - pricing {summary['floor_own_per_echo']:.2f}" if args.floor else ""
    print(f"  as shares of the same round's echo (the machine's drift cancels): DRE's own "
          f"{summary['dre_per_echo']:.2f}{floor_share}")
    if args.floor:
        print("  what an evaluate cannot skip with today's parts, each alone (--floor):")
        for key, name in FLOOR_FIGURES:
            lo, hi = spread[key]
            print(f"    {name:<38} {summary[key]:7.1f} µs  (rounds: {lo:.1f}–{hi:.1f})")
        print(f"  the floor of DRE's own (floor - pricing) is {summary['floor_own_us'] / GOAL_US:.1f} times the goal")
    if args.json:
        args.json.write_bytes(orjson.dumps({**summary, "rounds": results}, option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
