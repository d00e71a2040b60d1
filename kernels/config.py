"""Jit options, once for every kernel (as `stumpy/config.py`).

Money paths are integer-only, so `fastmath` is never used: it would buy nothing and could reorder
integer-to-float conversions. ``cache=True`` keeps compiled kernels on disk (``NUMBA_CACHE_DIR``);
``nogil=True`` lets actors run kernels in worker threads without blocking each other.
"""
from __future__ import annotations

import numba

JIT_OPTIONS = {"cache": True, "nogil": True}
PARALLEL_JIT_OPTIONS = {**JIT_OPTIONS, "parallel": True}

# Best-deal search bound per basket part (docs/semantics.md "Stacking and best deal").
BEST_DEAL_NODE_LIMIT = 65_536

# Batch pricing keeps at most this many per-promotion totals per basket in its parallel pass;
# baskets with more are priced again sequentially with room for all of them.
BATCH_SLOTS_PER_BASKET = 64

jit = numba.njit(**JIT_OPTIONS)
parallel_jit = numba.njit(**PARALLEL_JIT_OPTIONS)

# For the few per-candidate checks that run thousands of times per basket: inlined at numba-IR
# level, so the loop around them compiles as one function.
jit_inline = numba.njit(inline="always", **JIT_OPTIONS)
