"""A cache hint for the kernels: ``prefetch(a, i)`` asks the CPU to bring ``a[i]``'s cache line in.

Why: a basket's candidates are a dozen promotions scattered over a set of megabytes (10k
promotions: ~4.5 MB; 100k: ~45 MB), and each candidate's checks walk a chain of dependent reads
(its row, then its sets' offsets, then their values, then its action rows) that misses the cache
at every step: measured, a basket costs ~7 us more when its promotions are cold than when they were
just read (~27 against ~20 us). Issuing the reads of all candidates up front, one step of the
chain at a time, lets those misses overlap instead of queueing one behind the other. A hint only:
it changes no value, and a hint on a valid index never faults.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import config, types
from numba.core import cgutils
from numba.extending import intrinsic

from kernels.config import jit
from kernels.layout import (
    A_COLS, A_SET, H_SET_OFF, H_SET_VALS, P_ACT_END, P_ACT_OFF, P_COLS, P_QUAL_ART_SET, P_QUAL_GRP_SET,
)
from kernels.packed import act_row, promo_row


@intrinsic
def prefetch(typingctx, arr, idx):
    """``llvm.prefetch`` of ``arr[idx]`` (read, keep in all cache levels); ``idx`` must be valid."""
    sig = types.void(arr, types.intp)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)
        i8p = builder.bitcast(ptr, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [i8p, i32(0), i32(3), i32(1)])  # read, high locality, data cache
        return context.get_dummy_value()

    return sig, codegen


if config.DISABLE_JIT:  # kernels run as plain Python (bench.mutants): an intrinsic cannot be called there
    def prefetch(arr, idx):  # noqa: F811 - a cache hint only: nothing to do in Python
        return None


@jit
def prefetch_candidates(T, cands: np.ndarray) -> None:
    """Prefetch what checking and pricing ``cands`` reads first, a link of each chain per pass:
    their promotion rows; then their qualifying sets' offsets and first action rows; then those
    sets' values and the action's set offset; then its values."""
    last = T.shape[0] - 1
    so = T[H_SET_OFF]
    sv = T[H_SET_VALS]
    for k in range(cands.shape[0]):
        row = promo_row(T, cands[k])
        for c in range(0, P_COLS + 8, 8):  # a row is 3.6 cache lines, not aligned to them
            prefetch(T, min(row + c, last))
    for k in range(cands.shape[0]):
        row = promo_row(T, cands[k])
        for col in (P_QUAL_ART_SET, P_QUAL_GRP_SET):
            if T[row + col] >= 0:
                prefetch(T, so + T[row + col])
        if T[row + P_ACT_OFF] < T[row + P_ACT_END]:
            r = act_row(T, T[row + P_ACT_OFF])
            prefetch(T, r)
            prefetch(T, r + A_COLS - 1)
    for k in range(cands.shape[0]):
        row = promo_row(T, cands[k])
        for col in (P_QUAL_ART_SET, P_QUAL_GRP_SET):
            if T[row + col] >= 0:
                prefetch(T, min(sv + T[so + T[row + col]], last))
        if T[row + P_ACT_OFF] < T[row + P_ACT_END] and T[act_row(T, T[row + P_ACT_OFF]) + A_SET] >= 0:
            prefetch(T, so + T[act_row(T, T[row + P_ACT_OFF]) + A_SET])
    for k in range(cands.shape[0]):
        row = promo_row(T, cands[k])
        if T[row + P_ACT_OFF] < T[row + P_ACT_END] and T[act_row(T, T[row + P_ACT_OFF]) + A_SET] >= 0:
            prefetch(T, min(sv + T[so + T[act_row(T, T[row + P_ACT_OFF]) + A_SET]], last))
