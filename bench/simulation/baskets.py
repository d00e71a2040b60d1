"""Baskets of one slice of the day as flat arrays (CSR over lines), drawn from the catalogue."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.simulation.catalogue import SyntheticCatalogue
from bench.simulation.scenario import Scenario
from dre.money import MILLI


@dataclass(frozen=True)
class BasketBatch:
    offsets: np.ndarray  # int64 [n+1]: lines of basket b are offsets[b]:offsets[b+1]
    article: np.ndarray  # int64 [lines]: catalogue index
    group: np.ndarray  # int64 [lines]: catalogue group index
    milli: np.ndarray  # int64 [lines]: quantity in thousandths, negative for returns
    unit_price: np.ndarray  # int64 [lines]: cents
    gross: np.ndarray  # int64 [lines]: cents, HALF_UP
    store: np.ndarray  # int64 [n]
    minute: np.ndarray  # int64 [n]: minute of day (local)
    coupon: np.ndarray  # int64 [n]: index into scenario.coupons.codes, -1 for none

    def __len__(self) -> int:
        return len(self.store)


def draw_baskets(s: Scenario, cat: SyntheticCatalogue, rng: np.random.Generator, n: int,
                 start_minute: int) -> BasketBatch:
    """``n`` baskets arriving in the slice that starts at ``start_minute``."""
    b = s.baskets
    lines = np.clip(1 + rng.poisson(max(b.linesMean - 1, 0), n), 1, b.linesMax).astype(np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lines, out=offsets[1:])
    total = int(offsets[-1])
    article = cat.draw(rng, total).astype(np.int64)
    milli = rng.choice(np.array([1, 1, 1, 1, 2, 2, 3, 4, 6]), total).astype(np.int64) * MILLI
    weighed = rng.random(total) < b.weighedShare
    milli[weighed] = rng.integers(100, 2500, int(weighed.sum()))
    returned = rng.random(total) < b.returnShare
    milli[returned] = -milli[returned]
    price = cat.price[article]
    # HALF_UP of price x milli / 1000, symmetric for returns
    gross = np.sign(milli) * ((price * np.abs(milli) * 2 + MILLI) // (2 * MILLI))
    n_codes = len(s.coupons.codes)
    coupon = np.full(n, -1, dtype=np.int64)
    if n_codes and s.coupons.usageRate > 0:
        uses = rng.random(n) < s.coupons.usageRate
        coupon[uses] = rng.integers(0, n_codes, int(uses.sum()))
    return BasketBatch(
        offsets=offsets, article=article, group=cat.group_of[article], milli=milli, unit_price=price,
        gross=gross.astype(np.int64), store=rng.integers(0, s.stores, n).astype(np.int64),
        minute=(start_minute + rng.integers(0, s.sliceMinutes, n)).astype(np.int64), coupon=coupon,
    )
