"""Basket and context -> the int arrays the kernels read (the only per-basket Python work)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dre.basket import Basket
from dre.evaluate.context import USABLE, Context
from kernels import layout as lo
from kernels.compile import epoch_us
from kernels.vocabulary import Vocabulary


@dataclass(frozen=True)
class EncodedBasket:
    """A basket as kernel input. Lines: (n,) int64 each; ctx: (CTX_COLS,); code_types: (codes,)."""

    art: np.ndarray
    grp: np.ndarray
    milli: np.ndarray
    unit_price: np.ndarray
    gross: np.ndarray
    ctx: np.ndarray
    code_types: np.ndarray

    def args(self) -> tuple[np.ndarray, ...]:
        return self.art, self.grp, self.milli, self.unit_price, self.gross, self.ctx, self.code_types


def context_vector(vocab: Vocabulary, basket: Basket) -> np.ndarray:
    """(CTX_COLS,) int64: interned context strings, evaluation time and its local weekday/minute."""
    t = basket.time
    out = np.empty(lo.CTX_COLS, dtype=np.int64)
    out[lo.CTX_POS_GROUP] = vocab.get(basket.pos_group)
    out[lo.CTX_CHANNEL] = vocab.get(basket.channel)
    out[lo.CTX_TIER] = vocab.get(basket.tier)
    out[lo.CTX_CUSTOMER] = vocab.get(basket.customer_id)
    out[lo.CTX_PAYMENT] = vocab.get(basket.payment_means)
    out[lo.CTX_TIME_US] = epoch_us(t)
    out[lo.CTX_WEEKDAY] = t.isoweekday()
    out[lo.CTX_MINUTE] = t.hour * 60 + t.minute
    out[lo.CTX_INCLUDE_INACTIVE] = int(basket.include_inactive)
    return out


def code_types(vocab: Vocabulary, basket: Basket, ctx: Context) -> np.ndarray:
    """(len(basket.coupons),) int64: each presented code's interned type when usable, else -1."""
    out = []
    for code in basket.coupons:
        chk = ctx.coupons.get(code)
        out.append(vocab.get(chk.type_id) if chk and chk.status == USABLE and chk.type_id else -1)
    return np.array(out, dtype=np.int64)


def encode(vocab: Vocabulary, basket: Basket, ctx: Context) -> EncodedBasket:
    get = vocab.ids.get
    lines = basket.lines
    return EncodedBasket(
        art=np.array([get(ln.article, -1) for ln in lines], dtype=np.int64),
        grp=np.array([get(ln.group, -1) for ln in lines], dtype=np.int64),
        milli=np.array([ln.milli for ln in lines], dtype=np.int64),
        unit_price=np.array([ln.unit_price for ln in lines], dtype=np.int64),
        gross=np.array([ln.gross for ln in lines], dtype=np.int64),
        ctx=context_vector(vocab, basket),
        code_types=code_types(vocab, basket, ctx),
    )
