"""Compile (or load from the numba cache) every kernel, on a tiny promotion set using every path.

``python -m kernels`` compiles the service's kernels into numba's on-disk cache under a lock
(:func:`warmup_once`): the child process a worker starts while it serves with the reference
evaluator (actors.kernel_warmup), and scripts/bootstrap after an install. Processes starting
together (``dre serve --workers N``) compile once: the others wait for the lock, then load.
"""
from __future__ import annotations

import fcntl
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from dre.basket import Basket, Line
from dre.pricing.context import Context, CouponCheck
from dre.promotion import model as m


def _sample_promotions() -> list[m.Promotion]:
    def promo(pid: str, actions, exclusive=False, multiplicative=False, coupon=None, points=(), **conds):
        return m.Promotion(
            id=pid, name=pid, type="ARTICLE", active=True, valid_from=None, valid_to=None,
            window=m.TimeWindow(None, 0, 1440), pos_groups=frozenset({"POS"}), priority=0,
            exclusive=exclusive, multiplicative=multiplicative, rounding_mode=3, rounding_step=1,
            budget=None, article_conds=conds.get("article_conds", ()), min_quantity=conds.get("min_quantity"),
            min_spend=conds.get("min_spend", ()), context_conds=(m.ContextCond("CHANNEL", frozenset({"POS"})),),
            coupon_types=coupon, time_conds=(m.TimeWindow(frozenset({1, 2, 3, 4, 5, 6, 7}), 0, 1440),),
            price_actions=tuple(actions), injects=(), points=tuple(points))

    a = frozenset({"A"})
    pct = m.Calc(m.PCT, 1000)
    return [
        promo("U", [m.UnitAction(False, a, pct, 1000)], article_conds=(m.ArticleCond(False, a),)),
        promo("X", [m.UnitAction(True, frozenset({"G"}), m.Calc(m.AMT, 10), None)], exclusive=True,
              min_spend=(m.MinSpend(1, False),)),
        promo("Y", [m.ReceiptAction(pct), m.ScaledReceiptAction(((0, m.Calc(m.AMT, 5)),))], exclusive=True,
              multiplicative=True),
        promo("Q", [m.QuantityTierAction(a, ((1000, m.Calc(m.FIX, 50)),))], coupon=frozenset({"T"})),
        promo("B", [m.BundleAction(((a, 1),), m.Calc(m.FIX, 10)), m.GiftAction(a, 1, a, 1, 10000)],
              points=(m.PointsAction("CURRENCY_TO_POINTS", points=1, per=100),
                      m.PointsAction("MULTIPLY_POINTS", factor=200), m.PointsAction("ADD_FIXED", points=1))),
        promo("R", [m.UnitAction(False, a, pct, None)], min_quantity=m.MinQuantity(10**6)),
    ]


def warmup(batch: bool = True) -> None:
    """Run every kernel once so numba compiles it or loads it from the cache (NUMBA_CACHE_DIR).

    ``batch=False``: only the kernels the service prices with (KernelSet's evaluate, shard
    candidates and resolve), not the parallel batch kernel (``dre simulate``, benchmarks).
    """
    from kernels.promotion_set import KernelSet
    from kernels.string_index import StringIndex

    ks = KernelSet(_sample_promotions())
    lines = (Line("1", "A", "G", 3000, 250, 750), Line("2", "A", "G", 1500, 120, 180),
             Line("3", "A", "G", -1000, 250, -250))
    basket = Basket(lines, datetime(2026, 1, 5, 12, tzinfo=timezone.utc), "POS", "POS", coupons=("C",))
    ctx = Context(coupons={"C": CouponCheck("C", "USABLE", "T")})
    ks.evaluate(basket, ctx).lines_written.priced_lines()  # the answer's lines (kernels.answer_lines)
    item = ks.prepare(basket, ctx)
    ks.resolve([item], ks.shard_candidates(0, [item]))
    StringIndex({"A": 0, "G": 1})  # a large set's line ids (kernels.string_index): too small a set here to use it
    if batch:
        import numpy as np

        from kernels.arith import mul_div_half_up
        from kernels.batch import encode_batch, price_batch

        price_batch(ks.tables, **encode_batch(ks, [basket, basket], [ctx, ctx]))
        mul_div_half_up(np.int64(1), np.int64(1), np.int64(1))


LOCK_NAME = "dre-warmup.lock"
STAMP_NAME = "dre-warmup.done"  # the fingerprint of the sources the cache was last filled from


def cache_dir() -> Path:
    """Where numba caches the kernels: NUMBA_CACHE_DIR, else beside their sources (__pycache__)."""
    return Path(os.environ.get("NUMBA_CACHE_DIR") or Path(__file__).resolve().parent / "__pycache__")


def fingerprint() -> str:
    """What numba's cache of these kernels depends on: Python, numba and every kernel source."""
    import numba

    here = Path(__file__).resolve().parent
    files = sorted(here.glob("*.py"))
    return ";".join([sys.version.split()[0], numba.__version__] +
                    [f"{f.name}:{f.stat().st_mtime_ns}:{f.stat().st_size}" for f in files])


def cache_filled() -> bool:
    """Whether :func:`warmup_once` filled the cache from these very sources (the service's kernels
    then load in a few seconds: no compile)."""
    try:
        return (cache_dir() / STAMP_NAME).read_text() == fingerprint()
    except OSError:
        return False


def forget_stale_cache() -> int:
    """Delete numba's cached kernels when they were filled from other sources (an upgrade, an edit).
    numba checks only the file that defines a kernel, so a cached kernel would keep the callees,
    inlined from other files, it was compiled with: stale code that still loads. Returns how many
    files went; none when no stamp is there (nothing known about them) or the stamp matches."""
    try:
        stamp = (cache_dir() / STAMP_NAME).read_text()
    except OSError:
        return 0
    if stamp == fingerprint():
        return 0
    gone = 0
    for f in [*cache_dir().glob("*.nbi"), *cache_dir().glob("*.nbc")]:
        try:
            f.unlink()
            gone += 1
        except OSError:
            pass
    return gone


def warmup_once(batch: bool = False) -> None:
    """:func:`warmup` holding an exclusive lock next to the cache, so that concurrent processes do
    not compile the same kernels side by side on a small machine: the first compiles and fills the
    cache, the others wait and then load it. Without a writable cache directory, no lock."""
    try:
        cache_dir().mkdir(parents=True, exist_ok=True)
        lock = open(cache_dir() / LOCK_NAME, "a")  # noqa: SIM115 - held until the warm-up ends
    except OSError:
        warmup(batch)
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        forget_stale_cache()
        warmup(batch)
        try:
            (cache_dir() / STAMP_NAME).write_text(fingerprint())
        except OSError:
            pass
