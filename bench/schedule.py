"""The open-loop arrival schedule: when each flow is due, independent of how fast answers come.

Arrival times are computed up front from the steps alone; the runner starts a flow at each of
them whether or not earlier flows have finished, which is what keeps slow answers visible
(no coordinated omission).
"""
from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from bench.config import Arrival, Step


@dataclass(frozen=True)
class Due:
    """One scheduled arrival.

    Attributes:
        seq: 0-based arrival number over the whole run (also picks the basket).
        offset_s: seconds after the run's start at which the flow is due.
        step: index of the step it belongs to.
    """

    seq: int
    offset_s: float
    step: int


def step_starts(steps: tuple[Step, ...]) -> list[float]:
    """Start offset of each step in seconds."""
    starts, t = [], 0.0
    for s in steps:
        starts.append(t)
        t += s.seconds
    return starts


def scheduled_count(step: Step) -> int:
    """How many arrivals a uniform step schedules (``floor(rate * seconds)``, at least 1)."""
    # The small epsilon keeps 100/s for 2 s at 200 despite float error in rate * seconds.
    return max(1, math.floor(step.rate * step.seconds + 1e-9))


def arrivals(steps: tuple[Step, ...], arrival: Arrival, seed: int) -> Iterator[Due]:
    """Yield every arrival of the schedule in time order.

    Args:
        steps: the steps, run back to back.
        arrival: UNIFORM spaces arrivals exactly ``1/rate`` apart; POISSON draws exponential
            gaps from a RNG seeded with ``seed`` (same seed, same times).
        seed: seed for POISSON gaps.

    Returns:
        An iterator of :class:`Due`, lazily (a long run never holds its whole schedule).
    """
    rng = random.Random(seed ^ 0x5EED)
    seq = 0
    for index, (step, start) in enumerate(zip(steps, step_starts(steps))):
        if arrival is Arrival.UNIFORM:
            gap = 1.0 / step.rate
            for k in range(scheduled_count(step)):
                yield Due(seq, start + k * gap, index)
                seq += 1
        else:
            t = rng.expovariate(step.rate)
            while t < step.seconds:
                yield Due(seq, start + t, index)
                seq += 1
                t += rng.expovariate(step.rate)
