"""What a load run is asked to do: target, arrival schedule, flow mix, bounds, outputs.

A :class:`LoadConfig` is plain data: the CLI builds one from flags, other benchmarks build one
in code and pass it to :func:`bench.runner.run_load`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from bench.http_client import MAX_IDLE_S

DEFAULT_MAX_IN_FLIGHT = 1024  # concurrent flows; beyond this an arrival is dropped, not queued
DEFAULT_CONNECTIONS = 256  # keep-alive pool size (bench.http_client); a flow waiting for a connection still counts from its schedule
DEFAULT_TIMEOUT_S = 10.0  # per request, every phase (connect, pool wait, write, read)
DEFAULT_INTERVAL_S = 1.0  # width of one timeline window (progress and the latency-over-time plot)
DEFAULT_GENERIC_COUPON = "WELCOME10"  # the contract's example generic code


class Flow(str, Enum):
    """What one arrival does."""

    EVALUATE = "evaluate"  # one evaluate of a fresh basket
    EVALUATE_CONFIRM = "evaluate-confirm"  # 1-3 evaluates as the lane scans, then confirm the last counter
    # the evaluate flow's body to /bench/echo (a service started with DRE_BENCH_ECHO): the HTTP stack
    # without pricing, the baseline of an evaluate figure; recorded as the evaluate operation
    ECHO = "echo"


class Arrival(str, Enum):
    """How arrivals are spaced within a step."""

    UNIFORM = "uniform"  # exactly 1/rate apart: reproducible counts
    POISSON = "poisson"  # exponential gaps (seeded): bursts as real lanes produce them


@dataclass(frozen=True)
class Step:
    """One constant-rate stretch of the schedule.

    Attributes:
        rate: arrivals (flows) per second.
        seconds: how long the step lasts.
    """

    rate: float
    seconds: float

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.seconds <= 0:
            raise ValueError(f"a step needs a positive rate and duration, got {self.rate}/s for {self.seconds}s")


@dataclass(frozen=True)
class LoadConfig:
    """Everything one load run needs.

    Attributes:
        url: DRE base URL; every request goes to this scheme, host and port, nowhere else.
        api_key: sent as ``Authorization: Bearer``.
        steps: the arrival schedule, run back to back (one step = constant rate).
        flow: what each arrival does.
        arrival: spacing of arrivals within a step.
        max_in_flight: bound on concurrent flows; an arrival over it is dropped and counted.
        connections: size of the HTTP connection pool.
        timeout_s: per-request timeout; a timed-out request counts as an error ``timeout``.
        max_idle_s: a keep-alive connection idle longer is replaced, not reused (below the
            server's keep-alive timeout, or a request may meet its close: ``transport_error``).
        drain_s: after the last arrival, how long in-flight flows may still finish
            (None: ``timeout_s``); flows still running then are cancelled and counted.
        seed: seeds the catalogue and every basket (arrival ``n`` always gets the same basket).
        catalogue_size: number of synthetic articles.
        coupon_fraction: share of baskets that present a coupon code.
        coupon_codes: codes to draw from; empty means ``generic_coupon`` for all.
        generic_coupon: the code used when no coupon file is given.
        interval_s: timeline window width.
        out_dir: where the JSON report and PNG go (None: not written).
    """

    url: str
    api_key: str
    steps: tuple[Step, ...]
    flow: Flow = Flow.EVALUATE
    arrival: Arrival = Arrival.UNIFORM
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    connections: int = DEFAULT_CONNECTIONS
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_idle_s: float = MAX_IDLE_S
    drain_s: float | None = None
    seed: int = 1
    catalogue_size: int = 5000
    coupon_fraction: float = 0.0
    coupon_codes: tuple[str, ...] = ()
    generic_coupon: str = DEFAULT_GENERIC_COUPON
    interval_s: float = DEFAULT_INTERVAL_S
    out_dir: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)  # free-form labels copied into the report

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("the schedule needs at least one step")
        if self.max_in_flight < 1 or self.connections < 1:
            raise ValueError("max_in_flight and connections must be at least 1")
        if self.max_idle_s <= 0:
            raise ValueError("max_idle_s must be above 0")
        if not 0.0 <= self.coupon_fraction <= 1.0:
            raise ValueError("coupon_fraction must be within 0..1")

    @property
    def duration_s(self) -> float:
        """Length of the whole arrival schedule in seconds."""
        return sum(s.seconds for s in self.steps)

    @property
    def drain_seconds(self) -> float:
        """Grace for in-flight flows after the last arrival."""
        return self.timeout_s if self.drain_s is None else self.drain_s


def constant(rate: float, seconds: float) -> tuple[Step, ...]:
    """A one-step schedule."""
    return (Step(rate, seconds),)


def ramp(rates: list[float], step_seconds: float) -> tuple[Step, ...]:
    """A step ramp: each rate held for ``step_seconds``, in the order given."""
    return tuple(Step(r, step_seconds) for r in rates)


def parse_rates(text: str) -> list[float]:
    """Parse ``"200,400,800"`` into rates. Raises ValueError on an empty or non-positive entry."""
    rates = [float(part) for part in text.split(",") if part.strip()]
    if not rates or any(r <= 0 for r in rates):
        raise ValueError(f"--ramp needs positive comma-separated rates, got {text!r}")
    return rates


def read_coupon_file(path: Path) -> tuple[str, ...]:
    """Coupon codes, one a line; blank lines and ``#`` comments are skipped."""
    codes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        code = line.split("#", 1)[0].strip()
        if code:
            codes.append(code)
    if not codes:
        raise ValueError(f"{path} holds no coupon codes")
    return tuple(codes)
