"""A synthetic article catalogue drawn from the scenario's seed: numbers, groups, prices, popularity.

Built on the load harness's catalogue parts (bench.catalogue: numbering, log-uniform prices), drawn
as whole arrays from a numpy Generator (bench.catalogue says why these are two catalogues).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from bench import catalogue as parts
from bench.simulation.scenario import Catalogue

ARTICLE_DIGITS = 7  # A0000001..
GROUP_DIGITS = 5  # G00001..


@dataclass(frozen=True)
class SyntheticCatalogue:
    articles: list[str]  # "A0000001", ...
    groups: list[str]  # "G00001", ...
    group_of: np.ndarray  # int64 [n_articles]: index into groups
    price: np.ndarray  # int64 [n_articles]: cents
    cdf: np.ndarray  # float64 [n_articles]: popularity, cumulative

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` article indices by popularity."""
        return np.minimum(np.searchsorted(self.cdf, rng.random(n)), len(self.articles) - 1)


article_number = partial(parts.article_number, digits=ARTICLE_DIGITS)
group_id = partial(parts.group_id, digits=GROUP_DIGITS)


def make_catalogue(c: Catalogue, seed: int) -> SyntheticCatalogue:
    """Prices log-uniform in [priceMin, priceMax]; popularity Zipf-like with exponent ``popularity``."""
    rng = np.random.default_rng(seed)
    n = c.articles
    price = parts.log_uniform_cents(lambda lo, hi: rng.uniform(lo, hi, n), c.priceMin * 100, c.priceMax * 100)
    weights = 1.0 / np.arange(1, n + 1) ** c.popularity
    weights = weights[rng.permutation(n)]
    cdf = np.cumsum(weights)
    return SyntheticCatalogue(
        articles=[article_number(i) for i in range(n)],
        groups=[group_id(i) for i in range(c.groups)],
        group_of=rng.integers(0, c.groups, n).astype(np.int64),
        price=price.astype(np.int64),
        cdf=cdf / cdf[-1],
    )
