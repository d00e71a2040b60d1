"""Redis's own time per call of the hot scripts, measured alone: no store actor, no trio.

    python -m bench.store_lua [--n 5000] [--rounds 7] [--steps]

A private redis-server; each round sends ``--n`` fresh calls of each script as raw pipelines of
100 (redis-py, hiredis) and reads Redis's time per call from ``INFO commandstats`` (reset before
each script): ``coupon_reserve`` (a new INDIVIDUAL code whose type the caller knows, as
``bench.store``'s coupon_reserve, its ``now`` advancing at that bench's rate), ``coupon_redeem``
(of such a reservation, made just before: the same code's use, so that a cost moved from the
reserve to the use shows), ``txn_seal``
(sealing counter 1 of a transaction evaluated once) and ``txn_settle`` (settling it confirmed).
``coupon_reserve merged``: the same reserves, MERGED_FORM_GROUP to a call of the script's merged
form, as the store actor sends them when they wait together (dre.store.scripts.MERGED); its time
per reserve. Prints the median and every round, of Redis's time per call (``INFO commandstats``) and
then of its CPU per call (``INFO cpu``: also reading the call and writing its reply, which a merged
call's reply showed: Redis 6.2 gives each nested array of a reply a buffer node of its own). As in
``bench.store``, Redis is first filled with
long-lived keys so that its key table does not double while measured (the rounds drifted up by
half while it did).

``--steps``: where each script's time goes. The script is also run cut short - returning just
before each of its steps (STEPS) - so each row is Redis's time per call up to that step, and the
step's own cost is the difference to the row before; the variants of a script take turns within
a round (the tenant's sorted sets grow as they run). A step whose line is no longer in the
script is reported as such.

``bench.store`` measures what an operation costs through the actor, where the client's work and
the machine's neighbours add noise of several µs; this isolates the scripts, so that a change of
one ``redis.call`` (~1-2 µs) shows. To compare with another checkout (an older one without this
file), run the file with that checkout first on the path, alternately with this one:
``PYTHONPATH=OTHER .venv/bin/python bench/store_lua.py`` measures OTHER's scripts.
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from collections.abc import Iterator

import redis
import trio

from actors.redis_server import start_redis_server
from actors.store import open_store
from actors.store_core import MERGED_FORM_GROUP
from actors.store_ops.coupons import code_keys, log_keys
from bench.store import prefill, redis_cpu_s
from dre.store import codes, keys
from dre.store.scripts import MERGED as MERGED_SHAPES
from dre.store.scripts import lua_source, merged_command, merged_source

TENANT = "bench"
DEPTH = 100  # calls per pipeline
RESERVES_PER_MS = 27  # bench.store's coupon_reserve rate, ~27k/s
# New keys per call: a reserve's code and the reservation index (an INDIVIDUAL code's reservation
# writes no entries' hash: _common.lua); a transaction's counter and iterations, its seal, its job
# and its done marker.
KEYS_PER_RESERVE, KEYS_PER_TXN = 2, 5
SCRIPTS = ("coupon_reserve", "coupon_redeem", "txn_seal", "txn_settle")
MERGED = "coupon_reserve merged"  # the reserves, MERGED_FORM_GROUP to a call (module docstring)
# --steps: per script, what a call cut short returns, and its steps in order, each named by the
# line (its start) it begins with; None: the whole script
STEPS: dict[str, tuple[str, list[tuple[str, str | None]]]] = {
    "coupon_reserve": ("{ARGV[6], 0, 0}", [
        ("EVALSHA, its 12 keys and 9 arguments, the prelude's helpers", "local code, txn, customer = ARGV[1]"),
        ("read the code and its type (HGETALL, HMGET)", "c = release_expired("),
        ("judge: lapsed holds, replay, refusals", "local expires = now + ttl"),
        ("the code RESERVED, its reservation in it (HSET)", "-- LT: the index keeps"),
        ("the tenant's expiry index (ZADD)", "redis.call('HSET', KEYS[9]"),
        ("the reservation index (HSET and PEXPIRE, a new hash)", "queue_for_central(10, 10)"),
        ("the code change log (INCRBY, ZADD)", None),
    ]),
    "coupon_redeem": ("{ARGV[1], ARGV[2], ''}", [
        ("EVALSHA, its 10 keys and 5 arguments, the prelude's helpers", "local code, txn, rid, now = ARGV[1]"),
        ("the reservation: the code, its type, the holder's entry", "if st == 'REDEEMED' then"),
        ("judge", "consume_coupon("),
        ("the code REDEEMED (HSET, the expiry index; the entry)", "queue_for_central(9, 6)"),
        ("the code change log (INCRBY, ZADD)", None),
    ]),
    "txn_seal": ("{'CONFIRMABLE', ''}", [
        ("EVALSHA, its 6 keys and 7 arguments", "local txn, counter, ttl = ARGV[1]"),
        ("the answer copy (HMGET of the iterations hash)", "local long_done = "),
        ("the done marker and the counter (GET, GET)", "if ttl > 0 then"),
        ("the iteration kept (HEXISTS)", "  redis.call('HINCRBY', KEYS[3]"),
        ("the seal (HINCRBY, PEXPIRE: a new hash)", "  if redis.call('EXISTS', KEYS[6])"),
        ("the job HELD (EXISTS, HSET, PEXPIRE: a new hash)", None),
    ]),
    "txn_settle": ("1", [
        ("EVALSHA, its 7 keys and 6 arguments", "local last = redis.call('HINCRBY'"),
        ("let go of the seal (HINCRBY, DEL)", "local ttl = ARGV[2]"),
        ("the job's status (HGET)", "if ARGV[3] ~= '' then"),
        ("the job PENDING (HSET, PERSIST)", "  redis.call('HSET', KEYS[2]"),
        ("the answer copy (HSET of the iterations hash)", "  redis.call('SET', KEYS[7]"),
        ("the done marker (SET PX, a new string)", "  for i = 1, 2 do"),
        ("the transaction's keys kept as long (2 PEXPIRE)", None),
    ]),
}


def timed(client: redis.Redis, commands: list[tuple]) -> tuple[float, float]:
    """Redis's µs per EVALSHA of ``commands`` (every reply checked), and its CPU µs per EVALSHA,
    which also counts reading the call and writing its reply."""
    client.config_resetstat()
    before = redis_cpu_s([client])
    run(client, commands)
    cpu_us = (redis_cpu_s([client]) - before) / len(commands) * 1e6
    return float(client.info("commandstats")["cmdstat_evalsha"]["usec_per_call"]), cpu_us


def run(client: redis.Redis, commands: list[tuple]) -> None:
    """Send ``commands`` in pipelines of DEPTH; raise the first error reply."""
    for start in range(0, len(commands), DEPTH):
        pipe = client.pipeline(transaction=False)
        for command in commands[start:start + DEPTH]:
            pipe.execute_command(*command)
        for reply in pipe.execute(raise_on_error=False):
            if isinstance(reply, Exception):
                raise reply
            if isinstance(reply, list) and b"ERROR" in reply:  # a merged call's: flat, each call's items
                raise redis.ResponseError(reply[reply.index(b"ERROR") + 1])


def cut(source: str, line: str | None, reply: str) -> str | None:
    """``source`` returning ``reply`` just before the line that starts with ``line`` (None: the
    whole script); None when no single line starts so."""
    if line is None:
        return source
    if source.count("\n" + line) != 1:
        return None
    at = source.index("\n" + line) + 1
    return f"{source[:at]}do return {reply} end\n{source[at:]}"


Held = tuple[str, str, str, int]  # a reservation: (code, transactionId, reservationId, now)


def to_hold(new_codes: Iterator[str], n: int, tag: str, clock: Iterator[int]) -> list[Held]:
    return [(next(new_codes), f"T{tag}-{i}", codes.new_token("R"), next(clock)) for i in range(n)]


def reserves(sha: str, held: list[Held]) -> list[tuple]:
    out = []
    for i, (code, txn, rid, now) in enumerate(held):
        k = [*code_keys(TENANT, code, "B"), keys.coupon_expiry(TENANT), keys.reservation(TENANT, rid),
             *log_keys(TENANT)]
        out.append(("EVALSHA", sha, len(k), *k, code, txn, f"C{i}", now, 900_000, rid, 172_800_000, "B", ""))
    return out


def merged(sha: str, calls: list[tuple], n: int) -> list[tuple]:
    """``calls`` (EVALSHA commands of coupon_reserve.lua, of one type) ``n`` to a call of its merged
    form ``sha``, as actors.store_core.merge sends them: what they share once, then each one's own."""
    split = [MERGED_SHAPES["coupon_reserve"].split(c[3:3 + c[2]], c[3 + c[2]:]) for c in calls]
    return [merged_command(sha, split[start][0], [(k, a) for _, k, a in split[start:start + n]])
            for start in range(0, len(split), n)]


def redeems(sha: str, held: list[Held]) -> list[tuple]:
    out = []
    for code, txn, rid, now in held:
        k = [*code_keys(TENANT, code, "B"), keys.coupon_expiry(TENANT), *log_keys(TENANT)]
        out.append(("EVALSHA", sha, len(k), *k, code, txn, rid, now + 1, "B"))
    return out


def service_clock(start: int) -> Iterator[int]:
    """The ``now`` of successive reserves as the service passes it: the millisecond advances every
    RESERVES_PER_MS calls. (One fixed ``now`` for every call gave every reservation the same
    expiry, so the tenant's expiry index - a sorted set - ordered its members by name, and each
    ZADD walked to a random place in it instead of its end: ~3 µs more a call at 200k members.)"""
    for i in itertools.count():
        yield start + i // RESERVES_PER_MS


def evaluated(client: redis.Redis, n: int, tag: str) -> list[str]:
    """``n`` new transactions, each evaluated once (counter 1 and its iteration)."""
    txns = [f"X{tag}-{i}" for i in range(n)]
    pipe = client.pipeline(transaction=False)
    for t in txns:
        pipe.set(keys.txn_counter(TENANT, t), 1)
        pipe.hset(keys.txn_iterations(TENANT, t), "1", "{}")
    pipe.execute()
    return txns


def seals(sha: str, txns: list[str], now: int) -> list[tuple]:
    out = []
    for t in txns:
        counter, iterations, seal, answer, _ = keys.txn_slot_keys(TENANT, t)
        out.append(("EVALSHA", sha, 6, counter, iterations, seal, answer, keys.txn_done(TENANT, t),
                    keys.job(TENANT, keys.job_id(t, 1)), t, 1, 15_000, keys.job_id(t, 1), "{}", now, 86_400_000))
    return out


def settles(sha: str, txns: list[str]) -> list[tuple]:
    return [("EVALSHA", sha, 7, *keys.txn_confirm_keys(TENANT, t, 1), 1, 86_400_000, "{}", "", "", 400 * 86_400_000)
            for t in txns]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="calls of each script per round")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", action="store_true", help="where each script's time goes (module docstring)")
    a = ap.parse_args()
    server = start_redis_server(tempfile.mkdtemp(prefix="dre-bench-lua-"), persist=False)
    try:
        client = redis.Redis.from_url(server.url)
        # per script: its variants (label, source): the whole script, or its cuts with --steps
        variants: dict[str, list[tuple[str, str | None]]] = {}
        for name in SCRIPTS:
            reply, steps = STEPS[name]
            variants[name] = ([(label, cut(lua_source(name), line, reply)) for label, line in steps] if a.steps
                              else [("", lua_source(name))])
        if not a.steps:
            variants[MERGED] = [("", merged_source("coupon_reserve"))]
        # a redeem's code is reserved first (whole), untimed
        reserve_calls = a.n * a.rounds * (len(variants["coupon_reserve"]) + len(variants["coupon_redeem"])
                                          + len(variants.get(MERGED, ())))
        txn_calls = a.n * a.rounds * (len(variants["txn_seal"]) + len(variants["txn_settle"]))
        # as bench.store: a key table that need not grow while measured (KEYS_PER_RESERVE, KEYS_PER_TXN)
        prefill(server.url, reserve_calls * KEYS_PER_RESERVE + txn_calls * KEYS_PER_TXN)

        async def made_codes() -> list[str]:
            async with open_store(server.url) as store:
                await store.coupon_types.put(TENANT, "B", kind="INDIVIDUAL", prefix="B", code_length=12)
                out: list[str] = []
                while len(out) < reserve_calls:
                    out += await store.coupons.generate(TENANT, "B", min(1000, reserve_calls - len(out)))
                return out

        new_codes = iter(trio.run(made_codes))
        sha = {(name, label): client.script_load(source) for name, vs in variants.items()
               for label, source in vs if source is not None}
        full_seal = client.script_load(lua_source("txn_seal"))
        full_reserve = client.script_load(lua_source("coupon_reserve"))
        got: dict[tuple[str, str], list[float]] = {key: [] for key in sha}
        cpu: dict[tuple[str, str], list[float]] = {key: [] for key in sha}  # Redis's CPU per call

        def record(variant: tuple[str, str], commands: list[tuple], per: int = 1) -> None:
            """Time ``commands`` (``per`` calls each) into got and cpu."""
            script_us, cpu_us = timed(client, commands)
            got[variant].append(script_us / per)
            cpu[variant].append(cpu_us / per)

        now = int(time.time() * 1000)
        clock = service_clock(now)
        for r in range(a.rounds):
            for name, vs in variants.items():
                live = [label for label, source in vs if source is not None]
                for v, label in enumerate(live[r % len(live):] + live[:r % len(live)]):  # taking turns
                    tag, s = f"{r}.{v}", sha[(name, label)]
                    if name == "coupon_reserve":
                        held = to_hold(new_codes, a.n, tag, clock)
                        record((name, label), reserves(s, held))
                        continue
                    if name == MERGED:
                        held = to_hold(new_codes, a.n, tag, clock)
                        calls = merged(s, reserves(s, held), MERGED_FORM_GROUP)
                        record((name, label), calls, MERGED_FORM_GROUP)
                        continue
                    if name == "coupon_redeem":
                        held = to_hold(new_codes, a.n, tag, clock)
                        run(client, reserves(full_reserve, held))
                        record((name, label), redeems(s, held))
                        continue
                    txns = evaluated(client, a.n, tag)
                    if name == "txn_seal":
                        record((name, label), seals(s, txns, now))
                    else:
                        run(client, seals(full_seal, txns, now))  # sealed whole: what a settle lets go of
                        record((name, label), settles(s, txns))
        print(f"Redis µs per call, alone ({a.rounds} rounds of {a.n} calls, pipelines of {DEPTH}):")
        for name, vs in variants.items():
            if not a.steps:
                values = got[(name, "")]
                print(f"  {name:<21} median {statistics.median(values):6.2f}   rounds: "
                      + " ".join(f"{v:.1f}" for v in values))
                continue
            print(f"  {name}, cut short before each step (median; the step's own cost):")
            before = 0.0
            for label, source in vs:
                if source is None:
                    print(f"    {'(not in the script)':>22}  {label}")
                    continue
                m = statistics.median(got[(name, label)])
                print(f"    {m:8.2f} µs  {m - before:+6.2f}  {label}")
                before = m
        if not a.steps:
            print("Redis's CPU µs per call (INFO cpu: also reading the call and writing its reply):")
            for name in variants:
                values = cpu[(name, "")]
                print(f"  {name:<21} median {statistics.median(values):6.2f}   rounds: "
                      + " ".join(f"{v:.1f}" for v in values))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
