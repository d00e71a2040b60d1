"""Cold start: seconds from starting ``dre serve`` to its first correct evaluate.

Run ``python -m bench.coldstart``. For each promotion set (the example promotions, and N generated
ones: bench.promotion_file) it starts ``dre serve`` as a child process, with a numba cache that is
empty (``cold``: NUMBA_CACHE_DIR a new temporary directory, as on a fresh clone after install) or
filled (``warm``: the checkout's own cache, filled first by ``python -m kernels --batch``; the
same data directory as the run before, so a restart: the store holds the promotions already;
``restart``: the same, with an unmeasured warm start before it when no run came before, kept
running until the compiled path serves: the store and the promotion cache, dre.promotion.cache,
filled), and posts one evaluate every POLL_S
until an answer equals the expected one
(the reference evaluator's, computed here beforehand; ``meta`` left out). It does so for

- ``background`` (DRE_KERNEL_START=background, the default): the worker serves at once on the
  reference path while its kernels compile, and
- ``wait`` (DRE_KERNEL_START=wait, the old behaviour): it serves once the kernels are loaded,

in the same run, alternating, ``--rounds`` times each, and prints every run, then the medians;
with ``--baseline DIR --starts main,...`` also another checkout's code as it is (``main``: e.g. the
main branch unpacked by ``git archive``, with its own numba cache: run its ``python -m cli warmup``
first for warm runs).
For ``background`` it also prints when the heartbeat first said ``pricingPath`` KERNELS (the
compiled path serving), when ``--until-kernels``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import orjson

from actors.redis_server import free_port
from bench.live_server import ROOT, stop_server
from bench.promotion_file import write_promotion_file
from dre.basket import parse_evaluate_body
from dre.evaluate import IndexedReferenceSet
from dre.pricing.coupons import apply_stacking
from dre.promotion.rules_file import load_rules
from dre.response import response_body

EXAMPLES = ROOT / "examples"
API_KEY = "coldstart-key"
POLL_S = 0.05
GIVE_UP_S = float(os.environ.get("DRE_COLDSTART_GIVE_UP_S", "900"))  # per start
ARTICLES, GROUPS = 200_000, 999  # bench.catalogue's numbering: A000001.., G001..


@dataclass(frozen=True)
class Run:
    promotions: str  # "example" or the count
    cache: str  # cold | warm
    start: str  # background | wait
    first_correct_s: float
    kernels_s: float | None  # heartbeat pricingPath KERNELS (background, --until-kernels)


def request_body(promotions: str) -> dict:
    """The example basket; for a generated set with lines of its articles too (so it matches some)."""
    body = orjson.loads((EXAMPLES / "request.json").read_bytes())
    if promotions != "example":
        items = body["request"]["items"]
        for k, (art, price) in enumerate((("A000001", 1.99), ("A000002", 4.49), ("A000017", 0.89))):
            items.append({"lineReference": str(len(items) + 1), "articleNumber": art, "quantity": 2 + k,
                          "unitPrice": price, "articleGroupId": "G001"})
    return body


def expected_answer(promotions_file: Path, body: dict) -> dict:
    """What a correct evaluate answers, ``meta`` aside: the reference evaluator's result."""
    promos, ctx = load_rules(promotions_file)
    _, basket = parse_evaluate_body(body)
    pset = IndexedReferenceSet(promos)
    result = pset.evaluate(basket, replace(ctx, coupons=apply_stacking(basket.coupons, ctx.coupons)))
    return response_body(basket, result, pset.by_id)


def time_to_correct(env: dict[str, str], body: dict, expected: dict, until_kernels: bool,
                    root: Path = ROOT) -> tuple[float, float | None]:
    """Start ``dre serve`` with ``env``; (seconds to the first correct evaluate, seconds to the
    heartbeat's pricingPath KERNELS or None). Raises RuntimeError on a wrong answer or no answer."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if k != "DRE_REDIS_URL"}
    full_env.update({"PYTHONPATH": str(root), "DRE_API_KEYS": f"bench:{API_KEY}", **env})
    headers = {"Authorization": f"Bearer {API_KEY}"}
    url = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()  # noqa: SIM115 - the server writes it while it runs
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port)], cwd=root, env=full_env,
                            stdout=log, stderr=subprocess.STDOUT)
    first = kernels = None
    try:
        with httpx.Client(timeout=5.0) as client:
            while time.perf_counter() - started < GIVE_UP_S:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"dre serve exited: {log.read().decode()[-2000:]}")
                try:
                    if first is None:
                        r = client.post(url + "/pos/v2/evaluate", content=orjson.dumps(body),
                                        headers={**headers, "Content-Type": "application/json"})
                        if r.status_code == 200:
                            answer = {k: v for k, v in r.json().items() if k != "meta"}
                            if answer != expected:
                                raise RuntimeError(f"wrong answer: {answer} != {expected}")
                            first = time.perf_counter() - started
                            if not until_kernels or env.get("DRE_KERNEL_START", "wait") == "wait":
                                break
                    else:
                        hb = client.get(url + "/pos/heartbeat", headers=headers).json()
                        if hb["pricingPath"] == "KERNELS":
                            kernels = time.perf_counter() - started
                            break
                except httpx.HTTPError:
                    pass
                time.sleep(POLL_S)
    finally:
        stop_server(proc, 30.0)
    if first is None:
        raise RuntimeError(f"no correct answer in {GIVE_UP_S:.0f} s")
    return first, kernels


def fill_warm_cache() -> None:
    """The checkout's own numba cache (NUMBA_CACHE_DIR as this process has it), every kernel in it:
    a compile the first time, seconds afterwards (the warm runs start with it)."""
    subprocess.run([sys.executable, "-m", "kernels", "--batch"], env={**os.environ, "PYTHONPATH": str(ROOT)},
                   check=True)


def measure(promotions: str, promotions_file: Path, rounds: int, caches: list[str], starts: list[str],
            until_kernels: bool, work: Path, baseline: Path | None = None) -> list[Run]:
    body = request_body(promotions)
    expected = expected_answer(promotions_file, body)
    runs = []
    for r in range(rounds):
        for start in starts:
            data_dir = work / f"data-{start}-{promotions}-{r}"
            for cache in caches:
                env = {"DRE_PROMOTIONS_FILE": str(promotions_file), "DRE_DATA_DIR": str(data_dir)}
                root = baseline if start == "main" and baseline else ROOT
                if start != "main":
                    env["DRE_KERNEL_START"] = start
                if cache == "cold":
                    env["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(dir=work, prefix="numba-cold-")
                try:
                    if cache == "restart" and not data_dir.exists():  # a first start here, not measured,
                        # that runs until the compiled path serves (its promotion cache written by then)
                        time_to_correct(env, body, expected, start == "background", root)
                    first, kernels = time_to_correct(env, body, expected, until_kernels, root)
                except RuntimeError as exc:  # no answer within GIVE_UP_S (a loaded machine), or a wrong one
                    print(f"  round {r + 1}: {promotions:>8} {cache:>7} {start:>10}: {exc}"[:500], flush=True)
                    continue
                runs.append(Run(promotions, cache, start, first, kernels))
                more = f", compiled path serving after {kernels:.1f} s" if kernels is not None else ""
                print(f"  round {r + 1}: {promotions:>8} {cache:>7} {start:>10}: first correct evaluate after "
                      f"{first:.1f} s{more}", flush=True)
    return runs


def summary(runs: list[Run]) -> None:
    print("\nmedians (seconds from `dre serve` to the first correct evaluate):")
    print(f"{'promotions':>10} {'cache':>5} {'main':>7} {'wait (old)':>11} {'background':>11} {'kernels serve':>14}")
    for promotions in dict.fromkeys(r.promotions for r in runs):
        for cache in dict.fromkeys(r.cache for r in runs):
            case = (promotions, cache)
            print(f"{promotions:>10} {cache:>5} {_median(runs, case, 'main'):>7} {_median(runs, case, 'wait'):>11} "
                  f"{_median(runs, case, 'background'):>11} {_median(runs, case, 'background', 'kernels_s'):>14}")


def _median(runs: list[Run], case: tuple[str, str], start: str, field: str = "first_correct_s") -> str:
    xs = [getattr(r, field) for r in runs if (r.promotions, r.cache, r.start) == (*case, start)
          and getattr(r, field) is not None]
    return f"{statistics.median(xs):.1f}" if xs else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="runs of each case (default 3; medians printed)")
    ap.add_argument("--promotions", type=int, default=100_000, help="size of the generated set (0: none)")
    ap.add_argument("--caches", default="cold,warm",
                    help="cold, warm, restart (default cold,warm): warm after cold is a restart; restart alone "
                         "starts once unmeasured first (warm numba cache, the store and promotion cache filled)")
    ap.add_argument("--starts", default="wait,background",
                    help="DRE_KERNEL_START values (default both); `main` runs --baseline's code (its own default)")
    ap.add_argument("--baseline", type=Path, help="another checkout (e.g. `git archive main` unpacked) for `main`")
    ap.add_argument("--old-large", action="store_true",
                    help="also `wait` with the generated set (the old behaviour: minutes a run)")
    ap.add_argument("--until-kernels", action="store_true",
                    help="background: keep polling the heartbeat until the compiled path serves")
    args = ap.parse_args(argv)
    caches, starts = args.caches.split(","), args.starts.split(",")
    if "warm" in caches or "restart" in caches:
        fill_warm_cache()
    with tempfile.TemporaryDirectory(prefix="dre-coldstart-") as tmp:
        work = Path(tmp)
        runs = measure("example", EXAMPLES / "promotions.json", args.rounds, caches, starts, args.until_kernels, work,
                       args.baseline)
        if args.promotions:
            path = write_promotion_file(work / "promotions.json", args.promotions, ARTICLES, GROUPS)
            large_starts = starts if args.old_large else [s for s in starts if s not in ("wait", "main")]
            runs += measure(str(args.promotions), path, args.rounds, caches, large_starts, args.until_kernels, work,
                            args.baseline)
    summary(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
