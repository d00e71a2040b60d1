"""Basket and context -> the int arrays the kernels read (the only per-basket Python work)."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dre.basket import Basket
from dre.pricing.context import USABLE, Context
from kernels import layout as lo
from kernels.compile import epoch_us
from kernels.string_index import StringIndex
from kernels.vocabulary import Vocabulary

# Shared by every basket without coupons (kernels only read it; not flagged read-only, as numba
# would compile a second specialisation of every kernel for a read-only array type).
_NO_CODES = np.empty(0, dtype=np.int64)


class EncodedBasket(NamedTuple):
    """A basket as kernel input. Lines: (n,) int64 each (rows of one (5, n) array); ctx:
    (CTX_COLS,); code_types: (codes,). A named tuple: built once per request, so it must be cheap."""

    art: np.ndarray
    grp: np.ndarray
    milli: np.ndarray
    unit_price: np.ndarray
    gross: np.ndarray
    ctx: np.ndarray
    code_types: np.ndarray

    def args(self) -> tuple[np.ndarray, ...]:
        return tuple(self)


def context_vector(vocab: Vocabulary, basket: Basket) -> np.ndarray:
    """(CTX_COLS,) int64: interned context strings, evaluation time and its local weekday/minute."""
    t = basket.time
    get = vocab.get
    # One np.array call over a list in CTX_* order (kernels.layout): per-item numpy stores cost more.
    return np.array([
        get(basket.pos_group),  # CTX_POS_GROUP
        get(basket.channel),  # CTX_CHANNEL
        get(basket.tier),  # CTX_TIER
        get(basket.customer_id),  # CTX_CUSTOMER
        get(basket.payment_means),  # CTX_PAYMENT
        epoch_us(t),  # CTX_TIME_US
        t.isoweekday(),  # CTX_WEEKDAY
        t.hour * 60 + t.minute,  # CTX_MINUTE
        int(basket.include_inactive),  # CTX_INCLUDE_INACTIVE
    ], dtype=np.int64)


assert (lo.CTX_POS_GROUP, lo.CTX_CHANNEL, lo.CTX_TIER, lo.CTX_CUSTOMER, lo.CTX_PAYMENT, lo.CTX_TIME_US,
        lo.CTX_WEEKDAY, lo.CTX_MINUTE, lo.CTX_INCLUDE_INACTIVE, lo.CTX_COLS) == tuple(range(10))


def code_types(vocab: Vocabulary, basket: Basket, ctx: Context) -> np.ndarray:
    """(len(basket.coupons),) int64: each presented code's interned type when usable, else -1."""
    if not basket.coupons:
        return _NO_CODES
    out = []
    for code in basket.coupons:
        chk = ctx.coupons.get(code)
        out.append(vocab.get(chk.type_id) if chk and chk.status == USABLE and chk.type_id else -1)
    return np.array(out, dtype=np.int64)


def encode(vocab: Vocabulary, basket: Basket, ctx: Context, index: StringIndex | None = None) -> EncodedBasket:
    """The kernels' input for ``basket``. ``index``: the vocabulary's StringIndex, for the lines'
    article and group ids in one call (the same ids as the dict's)."""
    lines = basket.lines
    # One (5, n) array filled row by row from lists: the cheapest way found to move 5 x n Python
    # ints into numpy (vs 5 np.array calls or a list of tuples); its rows are C-contiguous views.
    cols = np.empty((5, len(lines)), dtype=np.int64)
    if not (index is not None and lines
            and index.ids_into([ln.article for ln in lines] + [ln.group for ln in lines], cols)):
        get = vocab.ids.get
        cols[0] = [get(ln.article, -1) for ln in lines]
        cols[1] = [get(ln.group, -1) for ln in lines]
    cols[2] = [ln.milli for ln in lines]
    cols[3] = [ln.unit_price for ln in lines]
    cols[4] = [ln.gross for ln in lines]
    return EncodedBasket(cols[0], cols[1], cols[2], cols[3], cols[4], context_vector(vocab, basket),
                         code_types(vocab, basket, ctx))
