"""Live progress of a run in the terminal (rich): rate, in flight, errors, p99 so far."""
from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.table import Table

from bench.config import LoadConfig
from bench.recorder import OP_FLOW, OPERATIONS, Recorder, value_at_percentile
from bench.schedule import step_starts

REFRESH_PER_SECOND = 4  # rich redraw rate; the data changes once per timeline window anyway


def _target_rate(config: LoadConfig, t: float) -> float:
    """The scheduled rate at ``t`` seconds into the run (the last step's rate afterwards)."""
    rate = config.steps[0].rate
    for step, start in zip(config.steps, step_starts(config.steps)):
        if t > start:
            rate = step.rate
    return rate


class LiveProgress:
    """A rich ``Live`` table fed by :func:`bench.runner.run_load`'s ``on_tick``.

    Use as a context manager around the run; leaving it stops the display (also on errors).

    Args:
        config: the run's configuration (for the target rate and duration).
        console: where to draw (default: stdout).
    """

    def __init__(self, config: LoadConfig, console: Console | None = None) -> None:
        self.config = config
        self.console = console or Console()
        self._live = Live(self._render(None, None), console=self.console,
                          refresh_per_second=REFRESH_PER_SECOND, transient=True)

    def __enter__(self) -> "LiveProgress":
        self._live.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._live.__exit__(exc_type, exc, tb)

    def on_tick(self, row: dict, rec: Recorder) -> None:
        """Redraw with the window that just closed."""
        self._live.update(self._render(row, rec))

    def _render(self, row: dict | None, rec: Recorder | None) -> Table:
        table = Table(title=f"DRE load: {self.config.flow.value} -> {self.config.url}", expand=False)
        for col in ("t (s)", "target/s", "started/s", "dropped", "in flight", "errors", "p99 window", "p99 so far"):
            table.add_column(col, justify="right")
        if row is None or rec is None:
            table.add_row("0", f"{self.config.steps[0].rate:g}", "-", "0", "0", "0", "-", "-")
            return table
        window = self.config.interval_s
        flow_window = row["operations"].get(OP_FLOW, {})
        p99_window = flow_window.get("p99")
        total = rec.ops[OP_FLOW].total
        p99_all = value_at_percentile(total, 99.0) / 1000 if total.get_total_count() else None
        errors = sum(rec.ops[op].errors for op in OPERATIONS if op != OP_FLOW)
        table.add_row(
            f"{row['t']:.0f}/{self.config.duration_s:g}", f"{_target_rate(self.config, row['t']):g}",
            f"{row['started'] / window:.0f}", str(sum(rec.dropped)), str(rec.in_flight), str(errors),
            "-" if p99_window is None else f"{p99_window:.1f} ms", "-" if p99_all is None else f"{p99_all:.1f} ms",
        )
        return table
