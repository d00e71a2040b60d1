"""Engine benchmark: KernelSet vs the reference evaluator on synthetic catalogues and promotion sets.

Run ``python -m bench.engine`` (``--quick`` for a smaller run). For each promotion mix (MIXES:
``realistic`` and ``heavy``) it prints, per promotion-set size: the mean number of candidate
promotions per basket (eligible or nearly), single-basket latency (parsed Basket -> Result) p50/p99, batch throughput of price_batch, the
reference evaluator's p50 and throughput, and their ratio; then p50(100k)/p50(100) and numba cold
vs warm start. Every kernel runs once before timing, so compilation is excluded.

``python -m bench.engine --goals`` prints issue 18's engine goals instead, measured in alternating
rounds on the realistic mix (see ``goals``): p50(100k)/p50(100), p99 at 100k, and batch pricing at
10k promotions both as wall-clock baskets/s and as baskets/s per two cores of CPU time (the machine
is shared, so wall-clock rates measure the neighbours as much as the engine).
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

from dre.basket import Basket, Line, line_gross
from dre.evaluate import ReferenceSet
from dre.pricing import Context
from dre.promotion import model as m

N_ARTICLES = 200_000
N_GROUPS = 2_000
N_POS_GROUPS = 50
LINES_PER_BASKET = 30
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone(timedelta(hours=1)))


@dataclass(frozen=True)
class Catalogue:
    """The kernel benchmark's own article table, not bench.catalogue's: its promotions and baskets
    name articles and groups by index (``A<i>``, ``G<k>``) and price them at retail price points,
    and this seeded workload is the one docs/capacity.md measured."""

    group: list[str]  # article index -> group
    price: list[int]  # cents


def catalogue(seed: int = 1) -> Catalogue:
    rng = random.Random(seed)
    return Catalogue([f"G{rng.randrange(N_GROUPS)}" for _ in range(N_ARTICLES)],
                     [rng.choice([49, 99, 149, 199, 299, 499, 999, 1999]) + rng.randrange(0, 3) * 100
                      for _ in range(N_ARTICLES)])


def _promo(pid: str, rng: random.Random, actions, article_conds=(), exclusive=False, **kw) -> m.Promotion:
    return m.Promotion(
        id=pid, name=f"Promotion {pid}", type="ARTICLE", active=True,
        valid_from=NOW - timedelta(days=rng.randrange(1, 30)), valid_to=NOW + timedelta(days=rng.randrange(1, 30)),
        window=kw.get("window"), pos_groups=kw.get("pos_groups"), priority=rng.randrange(0, 10),
        exclusive=exclusive, multiplicative=rng.random() < 0.2, rounding_mode=rng.choice([0, 0, 0, 1, 3]),
        rounding_step=1, budget=None, article_conds=tuple(article_conds), min_quantity=kw.get("min_quantity"),
        min_spend=kw.get("min_spend", ()), context_conds=kw.get("context_conds", ()), coupon_types=None,
        time_conds=(), price_actions=tuple(actions), injects=(), points=kw.get("points", ()))


def promotions(n: int, cat: Catalogue, seed: int = 2, mix: str = "heavy") -> list[m.Promotion]:
    """n promotions of mix ``heavy`` or ``realistic`` (see MIXES)."""
    if mix == "realistic":
        return realistic_promotions(n, cat, seed)
    if mix != "heavy":
        raise ValueError(f"unknown mix {mix!r}")
    return heavy_promotions(n, cat, seed)


def heavy_promotions(n: int, cat: Catalogue, seed: int = 2) -> list[m.Promotion]:
    """The heavy mix: ~85 % article, 3 % group, 4 % bundle, 3 % gift, 3 % quantity tier, 1 % receipt
    level (pos-group and MIN_SPEND gated), 1 % loyalty; ~2 % of article promotions exclusive.

    Every kind is a fixed share of n and articles are drawn with replacement, so the candidates of a
    basket grow with the set (about 10 at 100 promotions, 120 at 100k: 3,000 group promotions over
    2,000 groups, 20 receipt-level and 20 loyalty promotions per pos group).
    """
    rng = random.Random(seed + n)
    out = []
    pct = lambda: m.Calc(m.PCT, rng.choice([500, 1000, 1500, 2000, 2500, 3000, 5000]))  # noqa: E731

    def arts(k: int) -> frozenset[str]:
        return frozenset(f"A{rng.randrange(N_ARTICLES)}" for _ in range(k))

    for i in range(n):
        pid = f"P{i:06d}"
        r = rng.random()
        if r < 0.85:
            a = arts(rng.randint(1, 3))
            calc = pct() if rng.random() < 0.7 else m.Calc(m.AMT, rng.choice([10, 20, 50, 100]))
            out.append(_promo(pid, rng, [m.UnitAction(False, a, calc, 2000 if rng.random() < 0.1 else None)],
                              [m.ArticleCond(False, a)], exclusive=rng.random() < 0.02,
                              min_quantity=m.MinQuantity(2000) if rng.random() < 0.1 else None))
        elif r < 0.88:
            g = frozenset({f"G{rng.randrange(N_GROUPS)}"})
            out.append(_promo(pid, rng, [m.UnitAction(True, g, pct(), None)], [m.ArticleCond(True, g)]))
        elif r < 0.92:
            a, b = arts(2), arts(2)
            out.append(_promo(pid, rng, [m.BundleAction(((a, 1), (b, 1)), m.Calc(m.FIX, 300))],
                              [m.ArticleCond(False, a | b)]))
        elif r < 0.95:
            a = arts(2)
            out.append(_promo(pid, rng, [m.GiftAction(a, 2, a, 1, 10_000)], [m.ArticleCond(False, a)]))
        elif r < 0.98:
            a = arts(3)
            tiers = ((2000, m.Calc(m.PCT, 1000)), (4000, m.Calc(m.PCT, 2000)))
            out.append(_promo(pid, rng, [m.QuantityTierAction(a, tiers)], [m.ArticleCond(False, a)]))
        elif r < 0.99:
            pos = frozenset({f"POS{rng.randrange(N_POS_GROUPS)}"})
            action = (m.ReceiptAction(pct()) if rng.random() < 0.5 else
                      m.ScaledReceiptAction(((5000, m.Calc(m.AMT, 500)), (10000, m.Calc(m.AMT, 1500)))))
            out.append(_promo(pid, rng, [action], pos_groups=pos, exclusive=rng.random() < 0.3,
                              min_spend=(m.MinSpend(rng.choice([2000, 5000, 20000]), True),)))
        else:
            pos = frozenset({f"POS{rng.randrange(N_POS_GROUPS)}"})
            out.append(_promo(pid, rng, [], pos_groups=pos, context_conds=(m.ContextCond("CHANNEL", frozenset({"POS"})),),
                              points=(m.PointsAction("CURRENCY_TO_POINTS", points=1, per=100),)))
    return out


# Set-wide kinds of the realistic mix: a real set does not grow these with its article promotions.
REALISTIC_CAPS = {"group": 60, "receipt": 50, "loyalty": 20}


def realistic_promotions(n: int, cat: Catalogue, seed: int = 2) -> list[m.Promotion]:
    """The realistic mix: article-level kinds scale with n, set-wide kinds are capped.

    Shares as the heavy mix (85 % article, 4 % bundle, 3 % gift, 3 % quantity tier, 3 % group,
    1 % receipt level, 1 % loyalty), but group, receipt-level and loyalty promotions are capped at
    REALISTIC_CAPS (the rest become article promotions), and article values are drawn without
    replacement from a shuffled catalogue (distinct articles until the catalogue is used up), as a
    large set is mostly per-article promotions on distinct articles. A 30-line basket then meets a
    few tens of candidates at most, whatever the set size.
    """
    rng = random.Random(seed + n + 1)
    pool = list(range(N_ARTICLES))
    rng.shuffle(pool)
    cursor = 0
    counts = {"group": 0, "receipt": 0, "loyalty": 0}
    out = []
    pct = lambda: m.Calc(m.PCT, rng.choice([500, 1000, 1500, 2000, 2500, 3000, 5000]))  # noqa: E731

    def arts(k: int) -> frozenset[str]:
        nonlocal cursor
        picked = []
        for _ in range(k):
            picked.append(f"A{pool[cursor % N_ARTICLES]}")
            cursor += 1
        return frozenset(picked)

    def capped(kind: str) -> bool:
        if counts[kind] >= REALISTIC_CAPS[kind]:
            return True
        counts[kind] += 1
        return False

    for i in range(n):
        pid = f"P{i:06d}"
        r = rng.random()
        if 0.85 <= r < 0.88 and not capped("group"):
            g = frozenset({f"G{rng.randrange(N_GROUPS)}"})
            out.append(_promo(pid, rng, [m.UnitAction(True, g, pct(), None)], [m.ArticleCond(True, g)]))
        elif 0.88 <= r < 0.92:
            a, b = arts(2), arts(2)
            out.append(_promo(pid, rng, [m.BundleAction(((a, 1), (b, 1)), m.Calc(m.FIX, 300))],
                              [m.ArticleCond(False, a | b)]))
        elif 0.92 <= r < 0.95:
            a = arts(2)
            out.append(_promo(pid, rng, [m.GiftAction(a, 2, a, 1, 10_000)], [m.ArticleCond(False, a)]))
        elif 0.95 <= r < 0.98:
            a = arts(3)
            tiers = ((2000, m.Calc(m.PCT, 1000)), (4000, m.Calc(m.PCT, 2000)))
            out.append(_promo(pid, rng, [m.QuantityTierAction(a, tiers)], [m.ArticleCond(False, a)]))
        elif 0.98 <= r < 0.99 and not capped("receipt"):
            pos = frozenset({f"POS{rng.randrange(N_POS_GROUPS)}"})
            action = (m.ReceiptAction(pct()) if rng.random() < 0.5 else
                      m.ScaledReceiptAction(((5000, m.Calc(m.AMT, 500)), (10000, m.Calc(m.AMT, 1500)))))
            out.append(_promo(pid, rng, [action], pos_groups=pos, exclusive=rng.random() < 0.3,
                              min_spend=(m.MinSpend(rng.choice([2000, 5000, 20000]), True),)))
        elif 0.99 <= r and not capped("loyalty"):
            pos = frozenset({f"POS{rng.randrange(N_POS_GROUPS)}"})
            out.append(_promo(pid, rng, [], pos_groups=pos, context_conds=(m.ContextCond("CHANNEL", frozenset({"POS"})),),
                              points=(m.PointsAction("CURRENCY_TO_POINTS", points=1, per=100),)))
        else:
            a = arts(rng.randint(1, 3))
            calc = pct() if rng.random() < 0.7 else m.Calc(m.AMT, rng.choice([10, 20, 50, 100]))
            out.append(_promo(pid, rng, [m.UnitAction(False, a, calc, 2000 if rng.random() < 0.1 else None)],
                              [m.ArticleCond(False, a)], exclusive=rng.random() < 0.02,
                              min_quantity=m.MinQuantity(2000) if rng.random() < 0.1 else None))
    return out


MIXES = {
    "heavy": "every kind a fixed share of n, articles drawn with replacement (candidates grow with n)",
    "realistic": (f"set-wide kinds capped (group {REALISTIC_CAPS['group']}, receipt-level "
                  f"{REALISTIC_CAPS['receipt']}, loyalty {REALISTIC_CAPS['loyalty']}), distinct articles"),
}


def baskets(k: int, cat: Catalogue, promos: list[m.Promotion], seed: int = 3) -> list[Basket]:
    """30-line baskets; about a third of the lines are articles some promotion lists."""
    rng = random.Random(seed)
    promoted = sorted({v for p in promos for c in p.article_conds if not c.by_group for v in c.values})
    out = []
    for _ in range(k):
        lines = []
        for j in range(LINES_PER_BASKET):
            a = rng.choice(promoted) if promoted and rng.random() < 0.33 else f"A{rng.randrange(N_ARTICLES)}"
            idx = int(a[1:])
            milli = rng.choice([1000, 1000, 1000, 2000, 3000, 1000 * rng.randint(1, 5), rng.randint(100, 2500)])
            price = cat.price[idx]
            lines.append(Line(f"L{j}", a, cat.group[idx], milli, price, line_gross(price, milli)))
        out.append(Basket(tuple(lines), NOW, f"POS{rng.randrange(N_POS_GROUPS)}", "POS", customer_id="C1"))
    return out


def percentile(xs: list[float], q: float) -> float:
    return float(np.percentile(np.array(xs), q))


def bench_size(n: int, cat: Catalogue, n_single: int, n_batch: int, n_ref: int, mix: str = "heavy") -> dict:
    from kernels import KernelSet, encode_batch, price_batch

    promos = promotions(n, cat, mix=mix)
    t0 = time.perf_counter()
    ks = KernelSet(promos)
    compile_s = time.perf_counter() - t0
    ref = ReferenceSet(promos)
    ctx = Context()
    bs = baskets(max(n_single, n_ref), cat, promos)
    ks.evaluate(bs[0], ctx)  # every kernel once before timing
    lat = []
    for b in bs[:n_single]:
        t = time.perf_counter_ns()
        ks.evaluate(b, ctx)
        lat.append((time.perf_counter_ns() - t) / 1e3)
    batch_baskets = (bs * (n_batch // len(bs) + 1))[:n_batch]
    arrays = encode_batch(ks, batch_baskets, [ctx] * n_batch)
    price_batch(ks.tables, **{k: (v[:2] if k == "ctx" else v) for k, v in encode_batch(ks, bs[:1] * 2, [ctx] * 2).items()})
    t = time.perf_counter()
    price_batch(ks.tables, **arrays)
    batch_s = time.perf_counter() - t
    ref_lat = []
    for b in bs[:n_ref]:
        t = time.perf_counter_ns()
        ref.evaluate(b, ctx)
        ref_lat.append((time.perf_counter_ns() - t) / 1e3)
    same = all(ks.evaluate(b, ctx) == ref.evaluate(b, ctx) for b in bs[:min(n_ref, 5)])
    sample = bs[:200]
    cands = ks.shard_candidates(0, [ks.prepare(b, ctx) for b in sample])  # eligible or nearly, per basket
    return {
        "promotions": n, "mix": mix, "compile_s": compile_s,
        "candidates": sum(len(c) for c in cands) / len(cands),
        "p50_us": percentile(lat, 50), "p99_us": percentile(lat, 99),
        "batch_per_s": n_batch / batch_s,
        "ref_p50_us": percentile(ref_lat, 50), "ref_per_s": 1e6 * len(ref_lat) / sum(ref_lat),
        "same_results": same,
    }


_START_SCRIPT = """
import json, time
t0 = time.perf_counter()
import kernels
from bench.engine import catalogue, promotions, baskets
from dre.pricing import Context
cat = catalogue(); promos = promotions({n}, cat); bs = baskets(1, cat, promos)
t1 = time.perf_counter()
kernels.warmup()
ks = kernels.KernelSet(promos)
ks.evaluate(bs[0], Context())
t2 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "start_s": t2 - t1}}))
"""


def start_times(n: int) -> tuple[float, float]:
    """(cold, warm) seconds of warmup + compiling an n-promotion set + the first evaluate."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = []
        for _ in range(2):
            out = subprocess.run([sys.executable, "-c", _START_SCRIPT.format(n=n)], env=env, check=True,
                                 capture_output=True, text=True).stdout
            runs.append(json.loads(out.strip().splitlines()[-1])["start_s"])
    return runs[0], runs[1]


def _single(ks, bs: list[Basket], ctx: Context, fresh: bool = False) -> tuple[list[float], list[float]]:
    """Single-basket latencies (us), wall clock and this thread's CPU time, each basket through
    ``KernelSet.evaluate`` once. CPU time leaves out the time the shared machine took the core away.
    ``fresh``: each basket is a new copy made just before it is priced (untimed), as the service
    prices the basket it has just parsed from the request, not one last read a thousand baskets ago."""
    wall, cpu = [], []
    for b in bs:
        if fresh:
            b = pickle.loads(pickle.dumps(b))  # new objects and strings, in the cache as a parsed request's
        c = time.thread_time_ns()
        t = time.perf_counter_ns()
        ks.evaluate(b, ctx)
        wall.append((time.perf_counter_ns() - t) / 1e3)
        cpu.append((time.thread_time_ns() - c) / 1e3)
    return wall, cpu


def _batch(ks, arrays: dict) -> tuple[float, float]:
    """(wall s, process CPU s) of one price_batch call."""
    from kernels import price_batch

    t, c = time.perf_counter(), time.process_time()
    price_batch(ks.tables, **arrays)
    return time.perf_counter() - t, time.process_time() - c


BLOCK = 100  # --goals: baskets of one size before switching to the other


def goals(rounds: int, n_single: int = 1000, n_batch: int = 20_000,
          sizes: tuple[int, int, int] = (100, 10_000, 100_000), fresh: bool = False) -> list[tuple[float, ...]]:
    """Issue 18's goals 3 and 4 on the realistic mix, every figure against one measured in the same
    round: single-basket p50/p99 at ``small`` (100) and ``large`` (100k) promotions (alternating in
    blocks of BLOCK baskets, so both see the same machine), batch pricing at ``mid`` (10k)
    promotions (wall and CPU), and the reference evaluator's rate at ``mid`` on a few baskets;
    results are checked equal to the reference's. ``fresh``: measured as ``dre serve`` runs (the heap
    settled as api.serve.settle_heap leaves it, each basket a fresh copy; see _single). Returns each
    round's row (see the header)."""
    import numba

    from api.serve import settle_heap
    from kernels import KernelSet, encode_batch, price_batch

    cat, ctx = catalogue(), Context()
    sets = {}
    small, mid, large = sizes
    for n in sizes:
        promos = promotions(n, cat, mix="realistic")
        ks = KernelSet(promos)
        bs = baskets(n_single, cat, promos)
        ref = ReferenceSet(promos)
        same = all(ks.evaluate(b, ctx) == ref.evaluate(b, ctx) for b in bs[:3 if n == large else 20])
        sets[n] = (ks, bs, ref, same)
    ks10, bs10, ref10, _ = sets[mid]
    batch_baskets = (bs10 * (n_batch // len(bs10) + 1))[:n_batch]
    arrays = encode_batch(ks10, batch_baskets, [ctx] * n_batch)
    price_batch(ks10.tables, **encode_batch(ks10, bs10[:2], [ctx] * 2))
    threads = numba.get_num_threads()
    if fresh:
        settle_heap()  # as api.serve does once a worker is ready (gc.freeze, young-generation threshold)
    print(f"numba threads {threads}, cores {os.cpu_count()}; realistic mix, {n_single} baskets per size, "
          f"batch of {n_batch:,} at {mid}; equal to the reference: "
          + ", ".join(f"{n}: {s[3]}" for n, s in sets.items()))
    print(f"single basket: wall clock (CPU time of the thread); {small} and {large} alternate in blocks of "
          f"{BLOCK} baskets" + ("; as served: settled heap, each basket a fresh copy" if fresh else ""))
    print(f"{'round':>5} {f'p50 {small}':>14} {f'p50 {large}':>14} {'ratio':>11} {f'p99 {large}':>15} "
          f"{'batch/s wall':>13} {'batch/s 2-core CPU':>19} {f'ref/s {mid}':>9}")
    rows = []
    for r in range(1, rounds + 1):
        lat = {n: ([], []) for n in (small, large)}
        for i in range(0, n_single, BLOCK):
            for n in (small, large):
                wall, cpu = _single(sets[n][0], sets[n][1][i:i + BLOCK], ctx, fresh)
                lat[n][0].extend(wall)
                lat[n][1].extend(cpu)
        wall, cpu = _batch(ks10, arrays)
        t = time.perf_counter()
        for b in bs10[:3]:
            ref10.evaluate(b, ctx)
        ref_rate = 3 / (time.perf_counter() - t)
        row = tuple(percentile(lat[n][k], q) for k in (0, 1) for n, q in ((small, 50), (large, 50), (large, 99)))
        row += (n_batch / wall, n_batch / cpu * min(2, threads), ref_rate)
        rows.append(row)
        print(f"{r:>5} {row[0]:>6.1f} ({row[3]:>5.1f}) {row[1]:>6.1f} ({row[4]:>5.1f}) {row[1] / row[0]:>4.2f} "
              f"({row[4] / row[3]:.2f}) {row[2]:>7.1f} ({row[5]:>5.1f}) {row[6]:>13,.0f} {row[7]:>19,.0f} "
              f"{row[8]:>9.1f}", flush=True)
    med = [float(np.median([row[i] for row in rows])) for i in range(len(rows[0]))]
    ratio = float(np.median([row[1] / row[0] for row in rows]))
    ratio_cpu = float(np.median([row[4] / row[3] for row in rows]))
    print(f"median of {rounds} rounds:")
    print(f"  goal 4: p50 {large} / p50 {small} = {ratio:.2f} wall, {ratio_cpu:.2f} CPU (goal <= 3; {med[0]:.1f} -> "
          f"{med[1]:.1f} us wall, {med[3]:.1f} -> {med[4]:.1f} us CPU); p99 at {large} {med[2]:.0f} us wall, "
          f"{med[5]:.0f} us CPU (goal <= 400)")
    print(f"  goal 3: batch at {mid} promotions {med[6]:,.0f} baskets/s wall, {med[7]:,.0f}/s per 2 cores of CPU "
          f"(goal >= 100,000); {med[6] / med[8]:,.0f}x the reference evaluator's {med[8]:.1f}/s")
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer sizes and iterations")
    ap.add_argument("--no-start", action="store_true", help="skip the cold/warm start measurement")
    ap.add_argument("--mix", choices=["both", *MIXES], default="both",
                    help="promotion mix (default both: realistic, then heavy)")
    ap.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[100, 1_000, 10_000, 100_000],
                    help="comma-separated set sizes among 100,1000,10000,100000")
    ap.add_argument("--goals", action="store_true", help="issue 18's goals 3 and 4 in alternating rounds")
    ap.add_argument("--rounds", type=int, default=5, help="rounds of --goals (default 5)")
    ap.add_argument("--as-served", action="store_true",
                    help="--goals as dre serve runs: heap settled (api.serve.settle_heap), each basket freshly copied")
    args = ap.parse_args(argv)
    if args.goals:
        goals(args.rounds, fresh=args.as_served)
        return
    import numba

    print(f"numba {numba.__version__}, threads {numba.get_num_threads()}, cores {os.cpu_count()}")
    cat = catalogue()
    sizes = args.sizes
    plan = {100: (2000, 20000, 200), 1_000: (2000, 20000, 100), 10_000: (2000, 20000, 20), 100_000: (2000, 20000, 3)}
    if args.quick:
        plan = {k: (300, 3000, max(2, v[2] // 5)) for k, v in plan.items()}
    print(f"catalogue: {N_ARTICLES:,} articles in {N_GROUPS:,} groups, {N_POS_GROUPS} pos groups; baskets: "
          f"{LINES_PER_BASKET} lines, a third of them promoted articles")
    for mix in (MIXES if args.mix == "both" else [args.mix]):
        print(f"\nmix {mix}: {MIXES[mix]}")
        hdr = (f"{'promos':>8} {'compile s':>9} {'cands':>6} {'p50 us':>8} {'p99 us':>8} {'batch/s':>9} "
               f"{'ref p50 us':>11} {'ref/s':>8} {'speedup':>8} same")
        print(hdr)
        rows = []
        for n in sizes:
            r = bench_size(n, cat, *plan[n], mix=mix)
            rows.append(r)
            print(f"{n:>8} {r['compile_s']:>9.2f} {r['candidates']:>6.1f} {r['p50_us']:>8.1f} {r['p99_us']:>8.1f} "
                  f"{r['batch_per_s']:>9.0f} {r['ref_p50_us']:>11.0f} {r['ref_per_s']:>8.1f} "
                  f"{r['ref_p50_us'] / r['p50_us']:>7.0f}x {r['same_results']}", flush=True)
        print(f"p50 at {sizes[-1]} / p50 at {sizes[0]}: {rows[-1]['p50_us'] / rows[0]['p50_us']:.2f}")
    if not args.no_start:
        cold, warm = start_times(sizes[-1])
        print(f"start (warmup + compile {sizes[-1]} promotions + first evaluate): cold {cold:.1f} s, warm {warm:.1f} s")


if __name__ == "__main__":
    main()
