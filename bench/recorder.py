"""Counting and timing: HDR histograms per operation, per ramp step and per timeline window.

Latencies are recorded in microseconds. Only successful (2xx) answers go into the latency
histograms; every answer or failure is counted by outcome (status code, ``timeout``, ...).
All methods are synchronous and called from one trio thread, so no locking is needed.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from hdrh.histogram import HdrHistogram

LOWEST_US = 1  # 1 µs resolution floor
HIGHEST_US = 120_000_000  # 2 min; longer latencies are clamped (the request timeout is far below)
SIGNIFICANT_DIGITS = 3  # 0.1 % value precision for the run and per-step totals
WINDOW_SIGNIFICANT_DIGITS = 2  # 1 % is plenty per window, and resetting it every tick is 7x cheaper
PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99.9", 99.9))

OP_EVALUATE = "evaluate"
OP_CONFIRM = "confirm"
OP_FLOW = "flow"  # one whole arrival, from its scheduled start to its last answer
OPERATIONS = (OP_EVALUATE, OP_CONFIRM, OP_FLOW)

TIMEOUT = "timeout"  # outcome of a request that hit the client timeout
CANCELLED = "cancelled"  # outcome of a flow cut off at the end of the drain grace
CONNECT_ERROR = "connect_error"  # could not connect
TRANSPORT_ERROR = "transport_error"  # connection broke mid-request
PROTOCOL_ERROR = "bad_response"  # an answer the flow cannot use (not JSON, no counter)


def new_histogram(digits: int = SIGNIFICANT_DIGITS) -> HdrHistogram:
    """An empty latency histogram in µs with ``digits`` significant digits."""
    return HdrHistogram(LOWEST_US, HIGHEST_US, digits)


def mean_us(h: HdrHistogram) -> float:
    """Mean of ``h`` in µs.

    ``HdrHistogram.get_mean_value`` walks every bucket in pure Python (~60 ms), which would
    stall the event loop at each tick; only the non-empty buckets are visited here.
    """
    total = h.get_total_count()
    if not total:
        return 0.0
    counts = np.ctypeslib.as_array(h.counts)
    acc = 0
    for i in np.flatnonzero(counts).tolist():
        v = h.get_value_from_index(i)
        acc += int(counts[i]) * (h.get_lowest_equivalent_value(v) + h.get_highest_equivalent_value(v)) / 2
    return acc / total


def value_at_percentile(h: HdrHistogram, percentile: float) -> int:
    """``h.get_value_at_percentile(percentile)``, the same value, without its Python loop.

    hdrh walks every bucket from the first in Python (four percentiles: ~0.6 ms for a window's
    histogram, ~3 ms for a run's, at a load average of 3 here, several times that on a busy
    machine): every tick stalled the event loop for milliseconds, and the requests due
    meanwhile charged the generator's stall to the server's latency. Here a cumulative sum over
    the counts finds the bucket hdrh would (~0.1 ms).
    """
    total = h.get_total_count()
    if not total:
        return 0
    target = max(1, int(min(percentile, 100.0) * total / 100 + 0.5))  # hdrh's get_target_count_at_percentile
    cumulative = np.cumsum(np.ctypeslib.as_array(h.counts)[: h.counts_len])
    index = int(np.searchsorted(cumulative, target, side="left"))
    value = h.get_value_from_index(min(index, h.counts_len - 1))
    return h.get_highest_equivalent_value(value) if percentile else h.get_lowest_equivalent_value(value)


def is_ok(outcome: str) -> bool:
    """Whether an outcome is a success (a 2xx status code)."""
    return len(outcome) == 3 and outcome.startswith("2")


def summarize(h: HdrHistogram) -> dict[str, float | None]:
    """Percentiles, max and mean of ``h`` in milliseconds (None when it is empty)."""
    if h.get_total_count() == 0:
        return {name: None for name, _ in PERCENTILES} | {"max": None, "mean": None}
    out: dict[str, float | None] = {name: value_at_percentile(h, p) / 1000 for name, p in PERCENTILES}
    out["max"] = h.get_max_value() / 1000
    out["mean"] = round(mean_us(h) / 1000, 3)
    return out


@dataclass
class OpStats:
    """Everything recorded for one operation."""

    total: HdrHistogram
    steps: list[HdrHistogram]
    window: HdrHistogram  # reset at every timeline tick
    outcomes: Counter = field(default_factory=Counter)
    step_outcomes: list[Counter] = field(default_factory=list)
    window_count: int = 0
    window_errors: int = 0

    @classmethod
    def create(cls, n_steps: int) -> "OpStats":
        return cls(new_histogram(), [new_histogram() for _ in range(n_steps)], new_histogram(WINDOW_SIGNIFICANT_DIGITS),
                   step_outcomes=[Counter() for _ in range(n_steps)])

    @property
    def count(self) -> int:
        return sum(self.outcomes.values())

    @property
    def errors(self) -> int:
        return sum(n for k, n in self.outcomes.items() if not is_ok(k))


class Recorder:
    """Counters and histograms of one run.

    Args:
        n_steps: number of schedule steps (per-step histograms are kept for each).
    """

    def __init__(self, n_steps: int) -> None:
        self.ops = {op: OpStats.create(n_steps) for op in OPERATIONS}
        self.started = [0] * n_steps
        self.dropped = [0] * n_steps
        self.in_flight = 0
        self.max_lag_s = 0.0  # worst delay between an arrival's due time and its start
        self.coupon_flows = 0
        self.timeline: list[dict] = []
        self._window_started = 0
        self._window_dropped = 0

    def arrival_started(self, step: int, lag_s: float) -> None:
        """A flow was started ``lag_s`` after it was due."""
        self.started[step] += 1
        self._window_started += 1
        self.in_flight += 1
        self.max_lag_s = max(self.max_lag_s, lag_s)

    def arrival_dropped(self, step: int) -> None:
        """An arrival found ``max_in_flight`` flows running and was not started."""
        self.dropped[step] += 1
        self._window_dropped += 1

    def flow_finished(self) -> None:
        """A started flow ended (in any way)."""
        self.in_flight -= 1

    def record(self, op: str, step: int, latency_s: float, outcome: str) -> None:
        """Count one outcome of ``op``; a success also records its latency."""
        stats = self.ops[op]
        stats.outcomes[outcome] += 1
        stats.step_outcomes[step][outcome] += 1
        stats.window_count += 1
        if is_ok(outcome):
            us = min(HIGHEST_US, max(LOWEST_US, round(latency_s * 1_000_000)))
            stats.total.record_value(us)
            stats.steps[step].record_value(us)
            stats.window.record_value(us)
        else:
            stats.window_errors += 1

    def tick(self, t_s: float) -> dict:
        """Close the current timeline window at ``t_s`` seconds into the run and start a new one.

        Returns:
            The window's row (also appended to :attr:`timeline`).
        """
        row = {"t": round(t_s, 3), "started": self._window_started, "dropped": self._window_dropped,
               "inFlight": self.in_flight, "operations": {}}
        for op, stats in self.ops.items():
            if stats.window_count:
                row["operations"][op] = {"count": stats.window_count, "errors": stats.window_errors,
                                         **summarize(stats.window)}
            stats.window.reset()
            stats.window_count = stats.window_errors = 0
        self._window_started = self._window_dropped = 0
        self.timeline.append(row)
        return row
