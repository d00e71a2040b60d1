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
from kernels.config import jit

ARTICLE_DIGITS = 7  # A0000001..
GROUP_DIGITS = 5  # G00001..
GUIDE_BUCKETS = 1 << 16  # a power of two: u * GUIDE_BUCKETS and k / GUIDE_BUCKETS are exact


@dataclass(frozen=True)
class SyntheticCatalogue:
    articles: list[str]  # "A0000001", ...
    groups: list[str]  # "G00001", ...
    group_of: np.ndarray  # int64 [n_articles]: index into groups
    price: np.ndarray  # int64 [n_articles]: cents
    cdf: np.ndarray  # float64 [n_articles]: popularity, cumulative
    guide: np.ndarray  # int64 [GUIDE_BUCKETS]: guide[k] = np.searchsorted(cdf, k / GUIDE_BUCKETS)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` article indices by popularity: ``min(searchsorted(cdf, u), n - 1)`` of uniform ``u``,
        found from the guide table (a binary search over the whole cdf was most of a basket's draw)."""
        return _lookup(self.cdf, self.guide, rng.random(n))


@jit
def _lookup(cdf: np.ndarray, guide: np.ndarray, u: np.ndarray) -> np.ndarray:
    # every i < guide[k] has cdf[i] < k / K <= u, so the first cdf[i] >= u is at guide[k] or after
    out = np.empty(u.shape[0], dtype=np.int64)
    last = cdf.shape[0] - 1
    k_max = guide.shape[0]
    for x in range(u.shape[0]):
        v = u[x]
        i = guide[int(v * k_max)]
        while i < last and cdf[i] < v:
            i += 1
        out[x] = i
    return out


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
    cdf = cdf / cdf[-1]
    return SyntheticCatalogue(
        articles=[article_number(i) for i in range(n)],
        groups=[group_id(i) for i in range(c.groups)],
        group_of=rng.integers(0, c.groups, n).astype(np.int64),
        price=price.astype(np.int64),
        cdf=cdf,
        guide=np.searchsorted(cdf, np.arange(GUIDE_BUCKETS) / GUIDE_BUCKETS).astype(np.int64),
    )
