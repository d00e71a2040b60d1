"""Restart a crashed actor: its mailbox survives, the requests of the crashed batch get an error.

The actor body is a coroutine function that returns when its mailbox is closed and drained
(normal shutdown) or raises (a crash). The supervisor runs it again after a short back-off, for
as long as the service lives: a shard that crashes on every batch (a bad promotion set) keeps
answering 503 per request instead of taking the whole worker down, and recovers as soon as the
set is swapped. The mailbox is owned by whoever starts the supervisor, not by one incarnation of
the actor, so what is queued during a restart is served by the next incarnation.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import trio

log = logging.getLogger("dre.actors")

FIRST_BACKOFF_S = 0.01  # restart at once-ish: the crash already failed its batch's requests
MAX_BACKOFF_S = 1.0  # a shard crashing on every batch is retried at most once a second
CALM_AFTER_S = 10.0  # a run that lasted this long resets the back-off


@dataclass
class RestartLog:
    """How often each supervised actor was restarted (metrics, heartbeat, tests)."""

    restarts: dict[str, int] = field(default_factory=dict)
    last_error: dict[str, str] = field(default_factory=dict)

    def record(self, name: str, error: BaseException) -> None:
        self.restarts[name] = self.restarts.get(name, 0) + 1
        self.last_error[name] = f"{type(error).__name__}: {error}"


async def supervise(name: str, body: Callable[[], Awaitable[None]], restarts: RestartLog, *,
                    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """Run ``body`` until it returns, restarting it whenever it raises an ``Exception``.

    Args:
        name: the actor's name in logs and in ``restarts``.
        body: runs one incarnation of the actor; returns on a clean shutdown.
        restarts: where restarts are counted.

    Cancellation: propagates (``Cancelled`` is no ``Exception``); nothing is restarted.
    ``task_status.started()`` is called at once: an actor needs no warm-up before its mailbox
    accepts messages.
    """
    task_status.started()
    backoff = FIRST_BACKOFF_S
    while True:
        began = trio.current_time()
        try:
            await body()
            return
        except Exception as exc:  # noqa: BLE001 - a crash of any kind is what we supervise
            restarts.record(name, exc)
            log.error("actor crashed; restarting", extra={"actor": name, "error": repr(exc)}, exc_info=exc)
        if trio.current_time() - began >= CALM_AFTER_S:
            backoff = FIRST_BACKOFF_S
        await trio.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_S)
