"""How many baskets arrive in each slice of the day: the arrival curve with its peak."""
from __future__ import annotations

import numpy as np

from bench.simulation.scenario import Scenario


def rate_profile(s: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Per opening minute: (minute of day, relative rate with mean 1 over the opening hours)."""
    start, end = s.openingHours.minutes()
    minutes = np.arange(start, end, dtype=np.int64)
    hours = minutes / 60.0
    pts = sorted(s.arrivals.curve)
    rate = np.interp(hours, [p[0] for p in pts], [p[1] for p in pts])
    if s.arrivals.peak:
        pk = s.arrivals.peak
        h, m = (int(x) for x in pk.at.split(":"))
        centre = h + m / 60
        rate = rate * (1 + (pk.factor - 1) * np.exp(-0.5 * ((hours - centre) / (pk.widthHours / 2)) ** 2))
    rate = np.maximum(rate, 0)
    mean = rate.mean()
    return minutes, rate / mean if mean > 0 else rate


def slice_counts(s: Scenario, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per slice: (start minute of day, number of baskets), Poisson around the expected rate.

    Expected baskets per minute over all lanes = lanes x basketsPerLanePerHour / 60 x relative rate.
    """
    minutes, rel = rate_profile(s)
    lanes = s.stores * s.lanesPerStore
    per_minute = lanes * s.arrivals.basketsPerLanePerHour / 60.0 * rel
    n = s.sliceMinutes
    k = len(minutes) // n * n
    starts = minutes[:k:n]
    expected = per_minute[:k].reshape(-1, n).sum(axis=1)
    if k < len(minutes):  # a last, shorter slice
        starts = np.append(starts, minutes[k])
        expected = np.append(expected, per_minute[k:].sum())
    if s.arrivals.random:
        return starts, rng.poisson(expected).astype(np.int64)
    # deterministic: round the running total, so that no basket is lost to per-slice rounding
    cumulative = np.floor(np.cumsum(expected) + 1e-9).astype(np.int64)
    return starts, np.diff(cumulative, prepend=0)
