"""A synthetic article catalogue and the baskets a checkout lane scans from it.

Everything is drawn from seeded RNGs, so a seed names a catalogue and a basket stream exactly:
two runs with the same seed send the same baskets in the same order.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

MIN_PRICE_CENTS = 29  # 0.29
MAX_PRICE_CENTS = 9999  # 99.99
MAX_LINES = 40  # largest basket generated
MEAN_LINES = 10  # baskets are mostly small; the tail reaches MAX_LINES
WEIGHED_SHARE = 0.1  # share of articles sold by weight (3-decimal kg quantities)
ARTICLES_PER_GROUP = 50  # catalogue_size / this = number of article groups (G001..)
MAX_GROUPS = 999  # group ids have three digits


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
        lo, hi = math.log(MIN_PRICE_CENTS), math.log(MAX_PRICE_CENTS)
        # Log-uniform prices: many cheap articles, few dear ones, like a grocery range.
        self.articles: tuple[Article, ...] = tuple(
            Article(
                number=f"A{i + 1:06d}",
                group=f"G{rng.randrange(groups) + 1:03d}",
                price_cents=min(MAX_PRICE_CENTS, max(MIN_PRICE_CENTS, round(math.exp(rng.uniform(lo, hi))))),
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
