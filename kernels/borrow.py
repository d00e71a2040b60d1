"""Borrowed views: an array that holds no reference to its memory, for the hot calls of a basket.

Why: numba reference-counts every array a compiled (not inlined) function receives: an atomic
increment at its entry and a decrement at its exit, each a call into numba's runtime. The part's
eight arrays, the packed set and the scratch rows go to every per-candidate call (a verdict, a
promotion alone, a stacked application, a reach), and these counts were ~15 % of a batch
basket's CPU at 10k promotions. A view whose meminfo is null costs a null check instead.

The rule: a borrowed view does not keep its memory alive. Borrow only what outlives every use
of the view: a function's own arguments (its caller holds them for the call), or an array the
function keeps alive itself with ``keep`` after the view's last use. Never return a view.
"""
from __future__ import annotations

from numba import config, types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def borrowed(typingctx, arr):
    """The same array (data, shape, strides) without its meminfo and parent: not reference-counted."""
    if not isinstance(arr, types.Array):
        return None
    sig = arr(arr)

    def codegen(context, builder, signature, args):
        view = context.make_array(signature.args[0])(context, builder, value=args[0])
        view.meminfo = cgutils.get_null_value(view.meminfo.type)
        view.parent = cgutils.get_null_value(view.parent.type)
        return view._getvalue()

    return sig, codegen


@intrinsic
def keep(typingctx, owner):
    """A use of ``owner`` (no code): numba releases a variable after its last use, so a ``keep``
    after the last use of its borrowed views keeps their memory alive until there."""
    sig = types.void(owner)

    def codegen(context, builder, signature, args):
        return context.get_dummy_value()

    return sig, codegen


if config.DISABLE_JIT:  # kernels run as plain Python (bench.mutants): an intrinsic cannot be called there
    def borrowed(arr):  # noqa: F811 - the array itself: Python counts its references anyway
        return arr

    def keep(owner):  # noqa: F811 - nothing to keep alive without borrowed views
        return None
