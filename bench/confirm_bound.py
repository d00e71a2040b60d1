"""What a confirm would reach as ONE request on one node: ``python -m bench.confirm_bound``.

    python -m bench.confirm_bound [--n 20000] [--repeat 3] [--tasks 500] [--pool 4]

bench.store's confirm is the service's: three requests of the store actor (txn_seal with the
job's enqueue, confirm.lua, txn_settle: on a cluster the transaction's slot, the tenant's, the
transaction's again; actors/store_ops/transactions.py), at ~14 % of Redis's EVALSHA ceiling
where issue 18 asks 40 %. ``docs/capacity.md`` says that target needs another protocol, one
request per confirm. This bench measures what that protocol would reach at best, so the claim
is a figure: in each round, on a private redis-server, it runs

* ``confirm (service)``: ``store.transactions.confirm``, as bench.store does (one budget consumed,
  a customer, no coupon);
* ``confirm (one request)``: the same confirm as ONE batched call of
  ``bench/confirm_one_request.lua`` through the same store actor (calls waiting together merged
  into one EVALSHA, as confirm.lua's are): the same judgements and writes for this shape - the
  replay checks, the counter, the budget and the customer's count, the remainder, the confirmed
  marker, the job (PENDING) and its queue entry, the answer's copy, the done marker - without
  the seal and the job's HELD stage, which only the three-step protocol needs. It is a bound,
  not a product path: on a cluster the transaction's keys and the tenant's are in different
  slots, and one script cannot touch both;

each against the ceiling of bench.store (next_counter.lua pipelined 64 deep on 4 connections),
measured before, between and after them (the median slice). Before the figures count, each
operation must have consumed the budget exactly once per confirm.

Printed: per operation its rate, its share of the ceiling, the client's and Redis's CPU per
confirm, and requests per pipeline; the medians of the rounds.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import orjson
import redis
import trio

from actors.redis_server import start_redis_server
from actors.store import open_store
from actors.store_ops.base import DONE_MARKER_TTL_S, TXN_TTL_S, ms
from actors.store_ops.jobs import ENQUEUE_HOLD_S
from api.serve import settle_heap
from bench import store as bench_store
from dre.store import keys
from dre.store.records import BudgetUse, now_ms

SCRIPT = Path(__file__).with_name("confirm_one_request.lua")
TENANT = bench_store.TENANT
CENTS = 100  # each confirm's discount on the budget
SERVICE, ONE_REQUEST = "confirm (service)", "confirm (one request)"


async def one_request(store, script, txn: str, customer: str, use: BudgetUse) -> None:
    """Confirm counter 1 of ``txn`` as one call of the bound's script; raises unless CONFIRMED."""
    now = now_ms()
    counter, iterations, _, _, _, job, done = keys.txn_confirm_keys(TENANT, txn, 1)
    job_id = keys.job_id(txn, 1)
    k = [counter, iterations, done, job, keys.job_bucket(TENANT, job_id), keys.txn_confirmed(TENANT, txn),
         keys.budget(TENANT, use.promotion_id), keys.budget_customers(TENANT, use.promotion_id),
         keys.budget_remaining(TENANT), keys.exhausted_budgets(TENANT)]
    a = [txn, 1, customer, now, ms(TXN_TTL_S), "{}", job_id, "{}", *use, ms(DONE_MARKER_TTL_S),
         now + ms(ENQUEUE_HOLD_S)]
    reply = await store.core.call_batched(script, k, a, durable=True)
    if reply[0] != "CONFIRMED":
        raise RuntimeError(f"the one-request confirm of {txn} answered {reply}")
    orjson.loads(reply[2])  # what is left of the budget, as the service's confirm reads it


async def one_round(url: str, n: int, tasks: int, pool: int, tag: str, between) -> dict[str, bench_store.Figure]:
    """Both operations on ``n`` fresh transactions each (counter 1 issued first, not measured)."""
    client = redis.Redis.from_url(url)
    source = SCRIPT.read_text()
    script = client.register_script(source)
    client.script_load(source)  # the store actor runs it by EVALSHA (it loads only its own scripts)
    probe = [client]
    uses = {name: BudgetUse(f"{p}{tag}", CENTS, amount_limit_cents=CENTS * n * 10)
            for name, p in ((SERVICE, "S"), (ONE_REQUEST, "O"))}
    async with open_store(url, pool_size=pool) as store:
        tx = store.transactions
        for i in range(n):
            await tx.next_counter(TENANT, f"S{tag}-{i}", "{}")
            await tx.next_counter(TENANT, f"O{tag}-{i}", "{}")
        ops = {
            SERVICE: lambda i: tx.confirm(TENANT, f"S{tag}-{i}", 1, customer_id=f"C{i}", promotions=[uses[SERVICE]],
                                          coupons=[], answer="{}", job_payload="{}"),
            ONE_REQUEST: lambda i: one_request(store, script, f"O{tag}-{i}", f"C{i}", uses[ONE_REQUEST]),
        }
        out = {}
        between()
        for name, op in ops.items():
            out[name] = await bench_store.measure(store, probe, n, tasks, op)
            between()
    for name, use in uses.items():  # exactly once per confirm, or the figures mean nothing
        h = client.hgetall(keys.budget(TENANT, use.promotion_id))
        if (int(h.get(b"amount_consumed", 0)), int(h.get(b"redemptions_consumed", 0))) != (CENTS * n, n):
            raise RuntimeError(f"{name}: the budget shows {h}, not {n} confirms of {CENTS} cents")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.confirm_bound", description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000, help="confirms of each operation per round")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; the medians are printed")
    ap.add_argument("--tasks", type=int, default=500, help="concurrent trio tasks (as bench.store)")
    ap.add_argument("--pool", type=int, default=4, help="store connections (as bench.store)")
    a = ap.parse_args(argv)
    settle_heap()  # a service worker's collector settings, as bench.store
    rows: dict[str, list[tuple[float, bench_store.Figure]]] = {SERVICE: [], ONE_REQUEST: []}
    with tempfile.TemporaryDirectory(prefix="dre-confirm-bound-") as scratch:
        server = start_redis_server(scratch, persist=False)
        try:
            url = server.url
            # keys a round leaves: both operations' transactions, and the ceiling's slices
            bench_store.prefill(url, 2 * a.repeat * max(a.n, 2_000) * bench_store.KEYS_PER_N)
            for r in range(a.repeat):
                slices: list[bench_store.Ceiling] = []

                def between() -> None:
                    slices.append(bench_store.ceiling(url, max(a.n, 2_000) // 2, f"r{r}s{len(slices)}"))

                figures = trio.run(one_round, url, a.n, a.tasks, a.pool, f"r{r}", between)
                top = sorted(slices, key=lambda c: c.ops_s)[len(slices) // 2].ops_s
                for name, f in figures.items():
                    rows[name].append((f.ops_s / top, f))
                    print(f"round {r + 1}/{a.repeat}: {name:<22} {f.ops_s:>8,.0f}/s {f.ops_s / top:6.1%} of "
                          f"{top:,.0f}/s  client {f.client_us:5.1f} µs  redis {f.redis_us:5.1f} µs  "
                          f"{f.per_pipeline:5.1f} req/pipeline", flush=True)
        finally:
            server.stop()
    print(f"one node, {a.tasks} tasks, pool {a.pool}, n={a.n}: median of {a.repeat} rounds "
          f"(each share against its own round's ceiling)")
    print(f"  {'operation':<22} {'% of ceiling':>12} {'client µs':>10} {'redis µs':>9}")
    for name, got in rows.items():
        print(f"  {name:<22} {statistics.median(s for s, _ in got):>12.1%} "
              f"{statistics.median(f.client_us for _, f in got):>10.1f} "
              f"{statistics.median(f.redis_us for _, f in got):>9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
