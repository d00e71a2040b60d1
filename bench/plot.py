"""The latency plot of a run: percentiles over time (with step boundaries) and per ramp step."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: the harness runs on servers and in CI, never opens a window

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

from bench.recorder import OP_EVALUATE, OP_FLOW  # noqa: E402
from bench.report import LoadReport  # noqa: E402

SERIES = (("p50", "tab:green"), ("p90", "tab:blue"), ("p99", "tab:orange"), ("max", "tab:red"))
STEP_PERCENTILES = ("p50", "p99", "p99.9")
DPI = 110


def write_plot(report: LoadReport, path: Path) -> Path:
    """Draw ``report`` into a PNG at ``path`` and return the path.

    Top: flow latency percentiles per timeline window (log scale) with the achieved start rate
    on a second axis and dotted lines at step boundaries. Bottom: per step, flow and evaluate
    latency percentiles against the step's target rate.
    """
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 8), constrained_layout=True)
    try:
        _over_time(report, top)
        _per_step(report, bottom)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI)
    finally:
        plt.close(fig)  # figures are global state in pyplot; a long benchmark must not leak them
    return path


def _over_time(report: LoadReport, ax) -> None:
    rows = report.timeline
    ts = [r["t"] for r in rows]
    for name, color in SERIES:
        ys = [r["operations"].get(OP_FLOW, {}).get(name) for r in rows]
        pts = [(t, y) for t, y in zip(ts, ys) if y is not None]
        if pts:
            ax.plot(*zip(*pts), marker=".", color=color, label=f"flow {name}")
    ax.set_yscale("log")
    ax.set_xlabel("seconds into the run")
    ax.set_ylabel("latency from scheduled start (ms)")
    ax.set_title(f"{report.flow} @ {report.url}: target {report.target_rate:g}/s, achieved {report.achieved_rate:g}/s")
    for step in report.steps[1:]:
        ax.axvline(step.start_s, color="grey", linestyle=":")
    rate_ax = ax.twinx()
    if rows:
        widths = [t - p for t, p in zip(ts, [0.0, *ts[:-1]])]
        rate_ax.step(ts, [r["started"] / w if w > 0 else 0 for r, w in zip(rows, widths)], where="pre",
                     color="grey", alpha=0.5, label="started/s")
    rate_ax.set_ylabel("started per second")
    lines, labels = ax.get_legend_handles_labels()
    more, more_labels = rate_ax.get_legend_handles_labels()
    if lines or more:
        ax.legend(lines + more, labels + more_labels, loc="upper left", fontsize="small")


def _per_step(report: LoadReport, ax) -> None:
    rates = [s.target_rate for s in report.steps]
    for op, style in ((OP_FLOW, "-"), (OP_EVALUATE, "--")):
        for name, color in zip(STEP_PERCENTILES, ("tab:green", "tab:orange", "tab:red")):
            ys = [s.operations[op].latency_ms[name] for s in report.steps]
            pts = [(r, y) for r, y in zip(rates, ys) if y is not None]
            if pts:
                ax.plot(*zip(*pts), style, marker="o", color=color, label=f"{op} {name}")
    ax.set_yscale("log")
    ax.set_xlabel("target rate of the step (arrivals/s)")
    ax.set_ylabel("latency (ms)")
    ax.set_title("per step of the ramp")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")


def write_search_plot(result, path: Path) -> Path:
    """Draw a max-rate search (p99 per trial rate, passes green, fails red) into a PNG at ``path``.

    Args:
        result: a :class:`bench.maxrate.SearchResult` (untyped here to keep the import one-way).
    """
    fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
    try:
        for t in result.trials:
            if t.p99_ms is not None:
                ax.scatter(t.rate, t.p99_ms, color="tab:green" if t.passed else "tab:red", zorder=3)
        ax.axhline(result.slo_p99_ms, color="grey", linestyle="--", label=f"SLO p99 {result.slo_p99_ms:g} ms")
        if result.max_rate is not None:
            ax.axvline(result.max_rate, color="tab:green", linestyle=":", label=f"max {result.max_rate:g}/s")
        ax.set_xlabel("rate (arrivals/s)")
        ax.set_ylabel(f"{result.operation} p99 (ms)")
        ax.set_title("max sustainable rate search")
        ax.legend(fontsize="small")
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI)
    finally:
        plt.close(fig)
    return path
