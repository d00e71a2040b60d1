"""A synthetic article catalogue drawn from the scenario's seed: numbers, groups, prices, popularity."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.simulation.scenario import Catalogue


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


def article_number(i: int) -> str:
    return f"A{i + 1:07d}"


def group_id(i: int) -> str:
    return f"G{i + 1:05d}"


def make_catalogue(c: Catalogue, seed: int) -> SyntheticCatalogue:
    """Prices log-uniform in [priceMin, priceMax]; popularity Zipf-like with exponent ``popularity``."""
    rng = np.random.default_rng(seed)
    n = c.articles
    lo, hi = np.log(c.priceMin * 100), np.log(c.priceMax * 100)
    price = np.clip(np.round(np.exp(rng.uniform(lo, hi, n))), round(c.priceMin * 100), round(c.priceMax * 100))
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
