"""The result of a load run: a :class:`LoadReport`, its JSON form and its console summary."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

from bench.config import LoadConfig
from bench.recorder import CANCELLED, OP_FLOW, OPERATIONS, Recorder, is_ok, summarize

REPORT_VERSION = 1
REPORT_FILE = "report.json"
PLOT_FILE = "latency.png"


@dataclass
class OpReport:
    """One operation's totals.

    Attributes:
        count: every outcome recorded (answers, timeouts, transport errors, cancellations).
        ok: 2xx answers; only these are in the latency figures.
        errors: ``count - ok``.
        outcomes: count by outcome (``"200"``, ``"409"``, ``"timeout"``, ...).
        latency_ms: p50, p90, p99, p99.9, max, mean in ms (None when nothing succeeded).
        hdr: the base64 HdrHistogram (µs) of the successes, mergeable across runs.
    """

    count: int
    ok: int
    errors: int
    outcomes: dict[str, int]
    latency_ms: dict[str, float | None]
    hdr: str | None = None


@dataclass
class StepReport:
    """One step of the schedule."""

    index: int
    target_rate: float
    start_s: float
    seconds: float
    scheduled: int
    started: int
    dropped: int
    achieved_rate: float
    operations: dict[str, OpReport]


@dataclass
class LoadReport:
    """What a run measured. Rates are arrivals (flows) per second unless named ``requests``.

    Attributes:
        url: target base URL. flow: flow name. seed: basket seed.
        started_at: wall-clock start (ISO 8601).
        duration_s: length of the arrival schedule; elapsed_s: including the drain.
        scheduled, started, dropped: arrivals due, started, and dropped at the in-flight bound.
        target_rate, achieved_rate: scheduled / duration and started / duration.
        requests, request_errors: HTTP requests (evaluate + confirm) recorded, and those not 2xx.
        throughput: successful requests per second of elapsed time.
        max_lag_ms: worst lateness of a start against its schedule (harness saturation).
        coupon_flows: flows that presented a coupon.
        operations: per operation (evaluate, confirm, flow).
        steps: per schedule step. timeline: per time window rows.
    """

    url: str
    flow: str
    seed: int
    started_at: str
    duration_s: float
    elapsed_s: float
    scheduled: int
    started: int
    dropped: int
    target_rate: float
    achieved_rate: float
    requests: int
    request_errors: int
    throughput: float
    max_lag_ms: float
    coupon_flows: int
    cancelled_flows: int
    max_in_flight: int
    operations: dict[str, OpReport]
    steps: list[StepReport]
    timeline: list[dict] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready form (what ``report.json`` holds)."""
        return {"version": REPORT_VERSION, **asdict(self)}

    def write(self, out_dir: Path) -> Path:
        """Write ``report.json`` into ``out_dir`` (created if missing) and return its path."""
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / REPORT_FILE
        path.write_bytes(orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2))
        return path

    @property
    def server_errors(self) -> int:
        """5xx answers, timeouts and transport failures of evaluate/confirm (not 4xx answers)."""
        return sum(n for op in (o for k, o in self.operations.items() if k != OP_FLOW)
                   for k, n in op.outcomes.items() if not is_ok(k) and not k.startswith("4"))


def _op_report(outcomes, hist, with_hdr: bool) -> OpReport:
    count = sum(outcomes.values())
    ok = sum(n for k, n in outcomes.items() if is_ok(k))
    hdr = hist.encode().decode("ascii") if with_hdr and hist.get_total_count() else None
    return OpReport(count, ok, count - ok, dict(sorted(outcomes.items())), summarize(hist), hdr)


def build_report(config: LoadConfig, rec: Recorder, scheduled_per_step: list[int], started_at: str,
                 elapsed_s: float) -> LoadReport:
    """Turn a finished run's recorder into a :class:`LoadReport`."""
    duration = config.duration_s
    ops = {op: _op_report(rec.ops[op].outcomes, rec.ops[op].total, True) for op in OPERATIONS}
    steps, start = [], 0.0
    for i, step in enumerate(config.steps):
        step_ops = {op: _op_report(rec.ops[op].step_outcomes[i], rec.ops[op].steps[i], False)
                    for op in OPERATIONS}
        steps.append(StepReport(i, step.rate, start, step.seconds, scheduled_per_step[i], rec.started[i],
                                rec.dropped[i], round(rec.started[i] / step.seconds, 3), step_ops))
        start += step.seconds
    req_ops = [ops[op] for op in OPERATIONS if op != OP_FLOW]
    requests = sum(o.count for o in req_ops)
    scheduled = sum(scheduled_per_step)
    return LoadReport(
        url=config.url, flow=config.flow.value, seed=config.seed, started_at=started_at,
        duration_s=duration, elapsed_s=round(elapsed_s, 3),
        scheduled=scheduled, started=sum(rec.started), dropped=sum(rec.dropped),
        target_rate=round(scheduled / duration, 3), achieved_rate=round(sum(rec.started) / duration, 3),
        requests=requests, request_errors=sum(o.errors for o in req_ops),
        throughput=round(sum(o.ok for o in req_ops) / elapsed_s, 3) if elapsed_s > 0 else 0.0,
        max_lag_ms=round(rec.max_lag_s * 1000, 3), coupon_flows=rec.coupon_flows,
        cancelled_flows=ops[OP_FLOW].outcomes.get(CANCELLED, 0), max_in_flight=config.max_in_flight,
        operations=ops, steps=steps, timeline=rec.timeline, labels=dict(config.extra),
    )


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def print_summary(report: LoadReport, console: Console | None = None) -> None:
    """Print throughput, achieved vs target rate, percentiles and errors by outcome."""
    console = console or Console()
    console.print(
        f"[bold]{report.flow}[/] against {report.url}: {report.started}/{report.scheduled} arrivals started "
        f"({report.dropped} dropped at max in-flight {report.max_in_flight}, {report.cancelled_flows} cancelled)\n"
        f"target {report.target_rate:.1f}/s, achieved {report.achieved_rate:.1f}/s; "
        f"throughput {report.throughput:.1f} ok requests/s over {report.elapsed_s:.1f}s; "
        f"worst start lag {report.max_lag_ms:.1f} ms"
    )
    table = Table(title="latency (ms, from scheduled start)")
    for col in ("op", "count", "ok", "errors", "p50", "p90", "p99", "p99.9", "max"):
        table.add_column(col, justify="left" if col == "op" else "right", no_wrap=True)
    for name, op in report.operations.items():
        if op.count:
            lat = op.latency_ms
            table.add_row(name, str(op.count), str(op.ok), str(op.errors), _ms(lat["p50"]), _ms(lat["p90"]),
                          _ms(lat["p99"]), _ms(lat["p99.9"]), _ms(lat["max"]))
    console.print(table)
    for name, op in report.operations.items():
        if op.count:
            console.print(f"{name} outcomes: " + ", ".join(f"{k}: {v}" for k, v in op.outcomes.items()))
    if len(report.steps) > 1:
        steps = Table(title="per step (flow latency, ms)")
        for col in ("step", "target/s", "achieved/s", "dropped", "p50", "p99", "p99.9", "errors"):
            steps.add_column(col, justify="right", no_wrap=True)
        for s in report.steps:
            f = s.operations[OP_FLOW]
            steps.add_row(str(s.index), f"{s.target_rate:g}", f"{s.achieved_rate:.1f}", str(s.dropped),
                          _ms(f.latency_ms["p50"]), _ms(f.latency_ms["p99"]), _ms(f.latency_ms["p99.9"]),
                          str(f.errors))
        console.print(steps)
