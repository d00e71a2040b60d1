"""The open-loop load runner: :func:`run_load` starts flows on schedule and measures them.

Task tree (one nursery owns everything)::

    run_load
    └── outer nursery: the timeline ticker (windows + progress)
        └── flows nursery: one task per started arrival (its evaluates and confirm)

The schedule loop runs in ``run_load`` itself: it sleeps until each arrival is due and starts a
flow task without waiting for earlier ones. An arrival that finds ``max_in_flight`` flows
running is dropped and counted. Latency counts from the scheduled time, so a late start (pool
wait, a busy harness) shows up as latency instead of being hidden.
"""
from __future__ import annotations

import gc
import secrets
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import datetime, timezone

import orjson
import trio

from bench.config import Flow, LoadConfig
from bench.flows import CONFIRM_PATH, ECHO_PATH, EVALUATE_PATH, Planner
from bench.http_client import HttpClient
from bench.recorder import CANCELLED, OP_CONFIRM, OP_EVALUATE, OP_FLOW, PROTOCOL_ERROR, Recorder, is_ok
from bench.report import LoadReport, build_report
from bench.schedule import arrivals
from bench.target import Target

TickCallback = Callable[[dict, Recorder], None]
"""Called after each timeline window closes with the window's row and the live recorder."""


async def _post(client: HttpClient, path: str, body: dict) -> tuple[str, dict | None, float]:
    """POST one JSON body. Returns (outcome, parsed 2xx body or None, trio time of the answer).

    Transport failures are outcomes (the client's), not exceptions; cancellation propagates.
    """
    reply = await client.post(path, orjson.dumps(body))
    if not is_ok(reply.outcome):
        return reply.outcome, None, reply.end
    try:
        data = orjson.loads(reply.body)
    except orjson.JSONDecodeError:
        return PROTOCOL_ERROR, None, reply.end
    return reply.outcome, data if isinstance(data, dict) else None, reply.end


def open_client(config: LoadConfig, target: Target | None = None) -> HttpClient:
    """The load generator's client for ``config`` (its URL, key, pool size, timeout and idle limit)."""
    return HttpClient(target or Target.parse(config.url), config.api_key, connections=config.connections,
                      timeout_s=config.timeout_s, max_idle_s=config.max_idle_s)


def _counter(data: dict | None) -> int | None:
    """``meta.header.transactionCounter`` of an evaluate answer, if it has a usable one."""
    try:
        value = data["meta"]["header"]["transactionCounter"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def _run_flow(client: HttpClient, planner: Planner, seq: int, step: int, due_at: float,
                    rec: Recorder) -> None:
    """Plan arrival ``seq``, run its requests in order and record each, then the flow as a whole.

    Planning (basket generation) happens here rather than in the schedule loop so the loop
    stays cheap and starts stay on time.

    The first evaluate is timed from ``due_at`` (the schedule); each later request from the
    answer before it, as a lane sends the next scan when the last one is answered. On
    cancellation (drain deadline) the flow is recorded as ``cancelled`` and Cancelled re-raised.
    """
    outcome = CANCELLED
    try:
        plan = planner.plan(seq)
        rec.coupon_flows += plan.coupon is not None
        start, counter = due_at, None
        path = ECHO_PATH if planner.config.flow is Flow.ECHO else EVALUATE_PATH
        for scan in range(len(plan.scans)):
            outcome, data, end = await _post(client, path, plan.evaluate_body(scan))
            if is_ok(outcome) and plan.confirm and _counter(data) is None:
                outcome = PROTOCOL_ERROR  # cannot confirm without the counter the server issued
            rec.record(OP_EVALUATE, step, end - start, outcome)
            if not is_ok(outcome):
                return
            counter, start = _counter(data), end
        if plan.confirm:
            outcome, _, end = await _post(client, CONFIRM_PATH, plan.confirm_body(counter))  # type: ignore[arg-type]
            rec.record(OP_CONFIRM, step, end - start, outcome)
    except trio.Cancelled:
        outcome = CANCELLED
        raise
    finally:
        rec.record(OP_FLOW, step, trio.current_time() - due_at, outcome)
        rec.flow_finished()


async def _ticker(rec: Recorder, t0: float, interval_s: float, on_tick: TickCallback | None) -> None:
    """Close a timeline window every ``interval_s``; runs until its nursery is cancelled."""
    k = 1
    while True:
        await trio.sleep_until(t0 + k * interval_s)
        row = rec.tick(k * interval_s)
        if on_tick is not None:
            on_tick(row, rec)
        k += 1


async def run_load(config: LoadConfig, *, client: HttpClient | None = None,
                   on_tick: TickCallback | None = None) -> LoadReport:
    """Run the configured open-loop load and return what was measured.

    Args:
        config: target, schedule, flow and bounds.
        client: an HTTP client to reuse (e.g. across the trials of a max-rate search); it must
            be pinned to ``config.url`` (see :func:`open_client`) and stays open.
            When None, a client is opened for this run and closed before returning.
        on_tick: called once per timeline window (progress display).

    Returns:
        The :class:`LoadReport`; it is not written to disk here (see :func:`bench.load.execute`).

    Cancellation: cancelling the caller cancels every flow and the ticker; the client this
    function opened is closed; nothing is returned.
    """
    target = Target.parse(config.url)
    planner = Planner(config, run_id=secrets.token_hex(4))
    rec = Recorder(len(config.steps))
    scheduled = [0] * len(config.steps)
    async with AsyncExitStack() as stack:
        if client is None:
            client = await stack.enter_async_context(open_client(config, target))
            await client.warm(config.connections)
        started_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        # Everything allocated so far (modules, the catalogue) out of the collector's sight: a full
        # collection walking it takes tens of ms here, and every request due meanwhile would be
        # charged that stall as latency. Collections still run, over the run's own objects only.
        gc.collect()
        gc.freeze()
        stack.callback(gc.unfreeze)
        t0 = trio.current_time()
        async with trio.open_nursery() as outer:
            outer.start_soon(_ticker, rec, t0, config.interval_s, on_tick)
            async with trio.open_nursery() as flows:
                for due in arrivals(config.steps, config.arrival, config.seed):
                    due_at = t0 + due.offset_s
                    await trio.sleep_until(due_at)
                    scheduled[due.step] += 1
                    if rec.in_flight >= config.max_in_flight:
                        rec.arrival_dropped(due.step)
                        continue
                    rec.arrival_started(due.step, trio.current_time() - due_at)
                    flows.start_soon(_run_flow, client, planner, due.seq, due.step, due_at, rec)
                # The schedule's time is part of the run even after its last arrival started.
                await trio.sleep_until(t0 + config.duration_s)
                # Open loop ends here; flows still running get the drain grace, then are cancelled.
                flows.cancel_scope.deadline = trio.current_time() + config.drain_seconds
            elapsed = trio.current_time() - t0
            outer.cancel_scope.cancel()
        rec.tick(elapsed)  # the last, partial window
    return build_report(config, rec, scheduled, started_at, elapsed)
