"""Redis's own time per call of the hot scripts, measured alone: no store actor, no trio.

    python -m bench.store_lua [--n 5000] [--rounds 7]

A private redis-server; each round sends ``--n`` fresh calls of each script as raw pipelines of
100 (redis-py, hiredis) and reads Redis's time per call from ``INFO commandstats`` (reset before
each script): ``coupon_reserve`` (a new INDIVIDUAL code whose type the caller knows, as
``bench.store``'s coupon_reserve), ``txn_seal`` (sealing counter 1 of a transaction evaluated
once) and ``txn_settle`` (settling it confirmed). Prints the median and every round.

``bench.store`` measures what an operation costs through the actor, where the client's work and
the machine's neighbours add noise of several µs; this isolates the scripts, so that a change of
one ``redis.call`` (~1-2 µs) shows. To compare with another checkout (an older one without this
file), run the file with that checkout first on the path, alternately with this one:
``PYTHONPATH=OTHER .venv/bin/python bench/store_lua.py`` measures OTHER's scripts.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import redis
import trio

from actors.redis_server import start_redis_server
from actors.store import open_store
from actors.store_ops.coupons import code_keys, log_keys
from dre.store import codes, keys
from dre.store.scripts import lua_source

TENANT = "bench"
DEPTH = 100  # calls per pipeline
SCRIPTS = ("coupon_reserve", "txn_seal", "txn_settle")


def timed(client: redis.Redis, commands: list[tuple]) -> float:
    """Redis's µs per EVALSHA of ``commands`` (every reply checked)."""
    client.config_resetstat()
    for start in range(0, len(commands), DEPTH):
        pipe = client.pipeline(transaction=False)
        for command in commands[start:start + DEPTH]:
            pipe.execute_command(*command)
        for reply in pipe.execute(raise_on_error=False):
            if isinstance(reply, Exception):
                raise reply
    return float(client.info("commandstats")["cmdstat_evalsha"]["usec_per_call"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="calls of each script per round")
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args()
    server = start_redis_server(tempfile.mkdtemp(prefix="dre-bench-lua-"), persist=False)
    try:
        client = redis.Redis.from_url(server.url)

        async def made_codes() -> list[str]:
            async with open_store(server.url) as store:
                await store.coupon_types.put(TENANT, "B", kind="INDIVIDUAL", prefix="B", code_length=12)
                out: list[str] = []
                while len(out) < a.n * a.rounds:
                    out += await store.coupons.generate(TENANT, "B", min(1000, a.n * a.rounds - len(out)))
                return out

        new_codes = iter(trio.run(made_codes))
        sha = {name: client.script_load(lua_source(name)) for name in SCRIPTS}
        got: dict[str, list[float]] = {name: [] for name in SCRIPTS}
        now = int(time.time() * 1000)
        for r in range(a.rounds):
            reserves = []
            for i in range(a.n):
                code, rid = next(new_codes), codes.new_token("R")
                k = [*code_keys(TENANT, code, "B"), keys.coupon_expiry(TENANT), keys.reservation(TENANT, rid),
                     *log_keys(TENANT)]
                reserves.append(("EVALSHA", sha["coupon_reserve"], len(k), *k, code, f"T{r}-{i}", f"C{i}", now,
                                 900_000, rid, 172_800_000, "B", ""))
            got["coupon_reserve"].append(timed(client, reserves))
            txns = [f"X{r}-{i}" for i in range(a.n)]
            pipe = client.pipeline(transaction=False)
            for t in txns:  # evaluated once: counter 1 and its iteration
                pipe.set(keys.txn_counter(TENANT, t), 1)
                pipe.hset(keys.txn_iterations(TENANT, t), "1", "{}")
            pipe.execute()
            seals, settles = [], []
            for t in txns:
                counter, iterations, seal, answer, refused = keys.txn_slot_keys(TENANT, t)
                job, done = keys.job(TENANT, keys.job_id(t, 1)), keys.txn_done(TENANT, t)
                seals.append(("EVALSHA", sha["txn_seal"], 6, counter, iterations, seal, answer, done, job,
                              t, 1, 15_000, keys.job_id(t, 1), "{}", now, 86_400_000))
                settles.append(("EVALSHA", sha["txn_settle"], 7, counter, iterations, seal, answer, refused, job, done,
                                1, 86_400_000, "{}", "", "", 400 * 86_400_000))
            got["txn_seal"].append(timed(client, seals))
            got["txn_settle"].append(timed(client, settles))
        print(f"Redis µs per call, alone ({a.rounds} rounds of {a.n} calls, pipelines of {DEPTH}):")
        for name, values in got.items():
            print(f"  {name:<15} median {statistics.median(values):6.2f}   rounds: "
                  + " ".join(f"{v:.1f}" for v in values))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
