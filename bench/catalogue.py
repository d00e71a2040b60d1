"""A synthetic article catalogue and the baskets a checkout lane scans from it; and the parts of
a synthetic catalogue the peak-day simulation's catalogue (bench.simulation.catalogue) builds on:
article and group numbering, log-uniform prices.

Everything is drawn from seeded RNGs, so a seed names a catalogue and a basket stream exactly:
two runs with the same seed send the same baskets in the same order.

Two catalogues, not one: the load harness draws this one from ``random.Random``, article by
article, with a lane's few best sellers and weighed goods; the simulation draws whole arrays from
a numpy Generator, with the scenario's Zipf popularity and price bounds. Either drawn the other's
way would give other articles for the same seed, and both seeds' outputs are kept stable.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, TypeVar

import numpy as np

MIN_PRICE_CENTS = 29  # 0.29
MAX_PRICE_CENTS = 9999  # 99.99
MAX_LINES = 40  # largest basket generated
MEAN_LINES = 10  # baskets are mostly small; the tail reaches MAX_LINES
WEIGHED_SHARE = 0.1  # share of articles sold by weight (3-decimal kg quantities)
ARTICLES_PER_GROUP = 50  # catalogue_size / this = number of article groups (G001..)
MAX_GROUPS = 999  # group ids have three digits
ARTICLE_DIGITS = 6  # A000001..
GROUP_DIGITS = 3  # G001..

D = TypeVar("D", float, np.ndarray)


def article_number(i: int, digits: int = ARTICLE_DIGITS) -> str:
    """The number of article ``i`` (0-based): ``A000001``, ... (``digits`` wide)."""
    return f"A{i + 1:0{digits}d}"


def group_id(i: int, digits: int = GROUP_DIGITS) -> str:
    """The id of article group ``i`` (0-based): ``G001``, ... (``digits`` wide)."""
    return f"G{i + 1:0{digits}d}"


def log_uniform_cents(draw: Callable[[float, float], D], lo_cents: float, hi_cents: float) -> D:
    """Prices in minor units, log-uniform between ``lo_cents`` and ``hi_cents`` - many cheap
    articles, few dear ones, like a grocery range - rounded half to even, within the bounds.

    Args:
        draw: ``draw(a, b)`` is uniform between the bounds' logarithms: one float
            (``random.Random.uniform``: one price) or an array (a numpy Generator's ``uniform``
            with a size: that many prices, as floats).
    """
    x = np.round(np.exp(draw(np.log(lo_cents), np.log(hi_cents))))
    return np.clip(x, round(lo_cents), round(hi_cents))


@dataclass(frozen=True)
class Article:
    """One catalogue entry. ``price_cents`` is the unit (or per-kg) price in minor units."""

    number: str
    group: str
    price_cents: int
    weighed: bool


@dataclass(frozen=True)
class Line:
    """One scanned basket line. ``quantity_milli`` is the quantity in thousandths."""

    article: Article
    quantity_milli: int

    @property
    def quantity(self) -> int | float:
        """Wire quantity: an int for counted goods, at most 3 decimals for weighed goods."""
        if self.quantity_milli % 1000 == 0:
            return self.quantity_milli // 1000
        return self.quantity_milli / 1000

    @property
    def unit_price(self) -> float:
        """Wire unit price in major units (``cents / 100`` prints without float artefacts)."""
        return self.article.price_cents / 100


class Catalogue:
    """``size`` articles ``A000001``.. in groups ``G001``.., prices 0.29-99.99, some weighed.

    Args:
        size: number of articles (at least 1).
        seed: RNG seed; the same seed gives the same catalogue.
    """

    def __init__(self, size: int, seed: int) -> None:
        if size < 1:
            raise ValueError("a catalogue needs at least one article")
        rng = random.Random(seed)
        groups = max(1, min(MAX_GROUPS, size // ARTICLES_PER_GROUP))
        self.articles: tuple[Article, ...] = tuple(
            Article(  # drawn in this order: group, price, weighed (the seed's catalogue)
                number=article_number(i),
                group=group_id(rng.randrange(groups)),
                price_cents=int(log_uniform_cents(rng.uniform, MIN_PRICE_CENTS, MAX_PRICE_CENTS)),
                weighed=rng.random() < WEIGHED_SHARE,
            )
            for i in range(size)
        )

    def __len__(self) -> int:
        return len(self.articles)

    def pick(self, rng: random.Random) -> Article:
        """One article, skewed towards the low numbers (a few articles sell most)."""
        return self.articles[int(len(self.articles) * rng.random() ** 2)]

    def basket(self, rng: random.Random) -> tuple[Line, ...]:
        """A basket of 1..MAX_LINES lines as a lane scans it (an article may appear twice)."""
        n = min(MAX_LINES, 1 + int(rng.expovariate(1 / (MEAN_LINES - 1))))
        lines = []
        for _ in range(n):
            article = self.pick(rng)
            if article.weighed:
                milli = rng.randint(50, 2500)  # 0.050 .. 2.500 kg
            else:
                milli = 1000 * (1 if rng.random() < 0.8 else rng.randint(2, 6))
            lines.append(Line(article, milli))
        return tuple(lines)
