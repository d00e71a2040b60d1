"""Max sustainable rate search: raise the rate until the SLO breaks (or, when the first rate already
breaks it, lower the rate until it holds), then bisect the gap.

Each trial is a separate constant-rate open-loop run. A trial passes when its p99 is within the
SLO, its share of failed requests is at most ``max_error_rate``, nothing was dropped at the
in-flight bound, and the achieved start rate kept up with the target (else the harness, not
the server, was the limit and the number would be a lie).

Before the first trial, an unjudged warm-up run (``warmup_s`` at the start rate) opens the
generator's connections and gives the service's workers their first requests of the route.

Once a rate has passed, a failed trial is run once more (``retries``) before its rate counts as
failed: on a shared VM one stall of a few tens of milliseconds (another tenant, the hypervisor)
puts a few percent of a short trial's requests over a 20 ms SLO, and without the re-try one such
hiccup at a rate well below the ceiling would end the growth there and bound every later
bisection. On the way down from a failed start rate a fail is the expected answer: not re-tried. A rate that fails
twice in a row is over the ceiling as far as this search can tell; every trial, re-tries
included, is kept in :attr:`SearchResult.trials` (``retry`` marks the second).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

import trio

from bench.config import LoadConfig, constant
from bench.recorder import OP_CONFIRM, OP_EVALUATE, is_ok
from bench.report import LoadReport
from bench.runner import open_client, run_load

MIN_ACHIEVED_SHARE = 0.95  # a trial whose starts fell below 95 % of target measured the harness
MIN_BISECT_GAP = 1.05  # stop refining when fail/pass rates are within 5 %

Trial = Callable[[LoadConfig], Awaitable[LoadReport]]


@dataclass(frozen=True)
class SearchConfig:
    """How to search.

    Attributes:
        slo_p99_ms: the p99 bound (ms) on ``operation``.
        start_rate: first trial's rate (arrivals/s).
        factor: each next trial's rate is the last one's times this, until one fails.
        limit_rate: never try above this rate.
        step_seconds: length of each trial (at least; see ``min_requests``).
        refine: bisection trials between the last pass and the first fail.
        max_error_rate: allowed share of failed requests (0: any error fails the trial).
        operation: whose p99 is judged (``evaluate``, ``confirm`` or ``flow``).
        cooldown_s: pause between trials so the server's queues drain.
        min_rate: when the start rate fails, lower rates are tried (start / factor, ...) down to this.
        warmup_s: unjudged run at ``start_rate`` before the first trial (0: none).
        retries: times a failed trial is run again before its rate counts as failed.
        min_requests: a trial at a low rate runs longer, up to ``max_trial_s``, to schedule at least
            this many arrivals: the p99 of 60 requests is their slowest, one hiccup; of 200, the
            second slowest.
        max_trial_s: bound on that lengthening.
    """

    slo_p99_ms: float
    start_rate: float = 100.0
    factor: float = 1.5
    limit_rate: float = 100_000.0
    step_seconds: float = 10.0
    refine: int = 3
    max_error_rate: float = 0.0
    operation: str = OP_EVALUATE
    cooldown_s: float = 1.0
    min_rate: float = 1.0
    warmup_s: float = 2.0
    retries: int = 1
    min_requests: int = 200
    max_trial_s: float = 20.0

    def __post_init__(self) -> None:
        if self.factor <= 1.0 or self.start_rate <= 0 or self.slo_p99_ms <= 0:
            raise ValueError("max-rate search needs factor > 1, a positive start rate and SLO")
        if self.retries < 0 or self.warmup_s < 0:
            raise ValueError("max-rate search needs retries >= 0 and warmup_s >= 0")


@dataclass
class TrialResult:
    """One trial: its rate, verdict and the figures the verdict rests on."""

    rate: float
    passed: bool
    reason: str
    p99_ms: float | None
    achieved_rate: float
    requests: int
    request_errors: int
    dropped: int
    retry: bool = False  # a failed trial's re-run at the same rate
    max_lag_ms: float = 0.0  # the generator's worst start against the schedule (in the p99: it shares the CPU)


@dataclass
class SearchResult:
    """The highest passing rate (None if even the first trial failed) and every trial."""

    max_rate: float | None
    p99_ms: float | None
    slo_p99_ms: float
    operation: str
    trials: list[TrialResult] = field(default_factory=list)


def trial_seconds(rate: float, search: SearchConfig) -> float:
    """How long the trial at ``rate`` runs: ``step_seconds``, or longer (up to ``max_trial_s``)
    until it schedules ``min_requests`` arrivals."""
    return max(search.step_seconds, min(search.max_trial_s, search.min_requests / rate))


def judge(report: LoadReport, search: SearchConfig) -> TrialResult:
    """Decide whether ``report`` sustained its rate within the SLO."""
    p99 = report.operations[search.operation].latency_ms["p99"]
    error_share = report.request_errors / report.requests if report.requests else 1.0
    if report.requests == 0 or p99 is None:
        reason = "no successful requests"
    elif error_share > search.max_error_rate:
        failures: Counter = Counter()
        for op in (OP_EVALUATE, OP_CONFIRM):
            failures.update({k: n for k, n in report.operations[op].outcomes.items() if not is_ok(k)})
        kinds = ", ".join(f"{k}: {n}" for k, n in failures.most_common())
        reason = f"{report.request_errors}/{report.requests} requests failed ({kinds})"
    elif report.dropped:
        reason = f"{report.dropped} arrivals dropped at max in-flight"
    elif report.achieved_rate < MIN_ACHIEVED_SHARE * report.target_rate:
        reason = f"achieved {report.achieved_rate:g}/s of {report.target_rate:g}/s"
    elif p99 > search.slo_p99_ms:
        reason = f"p99 {p99:.2f} ms > SLO {search.slo_p99_ms:g} ms"
    else:
        reason = "ok"
    return TrialResult(report.target_rate, reason == "ok", reason, p99, report.achieved_rate, report.requests,
                       report.request_errors, report.dropped, max_lag_ms=report.max_lag_ms)


async def find_max_rate(base: LoadConfig, search: SearchConfig, trial: Trial | None = None,
                        on_trial: Callable[[TrialResult], None] | None = None) -> SearchResult:
    """Search the highest rate that meets the SLO.

    Args:
        base: target, flow and bounds; its steps are replaced by each trial's constant rate.
        search: the search parameters.
        trial: runs one trial (default: :func:`run_load` over one client shared by all trials,
            closed when the search ends or is cancelled).
        on_trial: called after each trial (progress output).

    Returns:
        The :class:`SearchResult`.
    """
    async def search_with(run: Trial) -> SearchResult:
        result = SearchResult(None, None, search.slo_p99_ms, search.operation)

        async def trial_at(rate: float, retry: bool) -> TrialResult:
            if result.trials and search.cooldown_s > 0:
                await trio.sleep(search.cooldown_s)
            report = await run(replace(base, steps=constant(rate, trial_seconds(rate, search))))
            verdict = judge(report, search)
            verdict.rate, verdict.retry = rate, retry
            result.trials.append(verdict)
            if on_trial is not None:
                on_trial(verdict)
            if verdict.passed and (result.max_rate is None or rate > result.max_rate):
                result.max_rate, result.p99_ms = rate, verdict.p99_ms
            return verdict

        async def attempt(rate: float) -> TrialResult:
            verdict = await trial_at(rate, retry=False)
            # only once a rate has passed: on the way down from a failed start rate a fail is
            # the expected answer, and re-trying each would double the search on a busy machine
            for _ in range(search.retries if result.max_rate is not None else 0):
                if verdict.passed:
                    break
                verdict = await trial_at(rate, retry=True)
            return verdict

        if search.warmup_s > 0:
            await run(replace(base, steps=constant(search.start_rate, search.warmup_s)))
            if search.cooldown_s > 0:
                await trio.sleep(search.cooldown_s)

        rate, failed_at = search.start_rate, None
        while rate <= search.limit_rate:
            if not (await attempt(rate)).passed:
                failed_at = rate
                break
            rate = round(rate * search.factor, 3)
        if result.max_rate is None:
            # the first rate already failed: lower it the same way until one passes (a figure,
            # however low, says more than "none" on a machine busier than the start rate assumed)
            rate = round(search.start_rate / search.factor, 3)
            while rate >= search.min_rate:
                if (await attempt(rate)).passed:
                    break
                failed_at = rate
                rate = round(rate / search.factor, 3)
        if result.max_rate is not None and failed_at is not None:
            lo, hi = result.max_rate, failed_at
            for _ in range(search.refine):
                if hi / lo < MIN_BISECT_GAP:
                    break
                mid = round((lo + hi) / 2, 3)
                if (await attempt(mid)).passed:
                    lo = mid
                else:
                    hi = mid
        return result

    if trial is not None:
        return await search_with(trial)
    async with open_client(base) as client:
        await client.warm(base.connections)  # every trial on the same warm pool (bench.http_client)
        return await search_with(lambda cfg: run_load(cfg, client=client))
