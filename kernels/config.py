"""Jit options, once for every kernel (as `stumpy/config.py`).

Money paths are integer-only, so `fastmath` is never used: it would buy nothing and could reorder
integer-to-float conversions. ``cache=True`` keeps compiled kernels on disk (``NUMBA_CACHE_DIR``);
``nogil=True`` lets actors run kernels in worker threads without blocking each other.
"""
from __future__ import annotations

import numba

JIT_OPTIONS = {"cache": True, "nogil": True}
PARALLEL_JIT_OPTIONS = {**JIT_OPTIONS, "parallel": True}

# Best-deal search bounds per basket part (docs/semantics.md "Stacking and best deal"): branch
# nodes, and work. A search step (a branch node or a choice priced) costs m x (n + 1) work units, m
# being the part's eligible promotions and n its lines: each step scans the m x n line tables a few
# times (components, take, set_saving). Measured at 5-9 ns per unit on one core of the 2-core
# development machine: the work bound keeps one part's search to some 10-15 ms whatever its shape
# (20 exclusives over 30 lines: ~1,600 nodes), where the node bound alone let it run for 0.4-0.9 s
# (65,536 nodes). Ordinary baskets stay far below it (a few exclusives: a few hundred steps). Not
# more: four clients streaming such baskets queue on one heavy-lane thread (actors.messages), and
# at 4,000,000 units a third to a half of them missed the 250 ms deadline on two shared cores.
BEST_DEAL_NODE_LIMIT = 65_536
BEST_DEAL_WORK_LIMIT = 2_000_000

# Batch pricing keeps at most this many per-promotion totals per basket in its parallel pass;
# baskets with more are priced again sequentially with room for all of them.
BATCH_SLOTS_PER_BASKET = 64

jit = numba.njit(**JIT_OPTIONS)
parallel_jit = numba.njit(**PARALLEL_JIT_OPTIONS)

# For the few per-candidate checks that run thousands of times per basket: inlined at numba-IR
# level, so the loop around them compiles as one function.
jit_inline = numba.njit(inline="always", **JIT_OPTIONS)
