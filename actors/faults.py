"""Failures of background actors: logged, counted, shown in the heartbeat - never fatal.

The side-effects runners, the lease recoverer, the reservation sweeper, the promotions reloader
and the article-import worker each loop over store calls. A store fault there (a 503, or any
error reply or bug that escapes a call: a MOVED from a misrouted call once crashed the whole
service through the job worker's nursery) must not end the loop, let alone the service: the
actor records it here, waits its usual pause and tries again on its next round.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from dre.errors import DREError

log = logging.getLogger("dre.background")


@dataclass
class Fault:
    """One actor's failures since the worker started."""

    count: int = 0
    last_error: str = ""
    last_at: float = 0.0  # epoch seconds


class BackgroundFaults:
    """Per background actor (``jobs.runner``, ``jobs.recover``, ``reloader``...), what failed."""

    def __init__(self) -> None:
        self.by_actor: dict[str, Fault] = {}

    def record(self, actor: str, exc: BaseException) -> None:
        """Count and log ``exc`` (a store 503 as a warning; anything else with its traceback)."""
        fault = self.by_actor.setdefault(actor, Fault())
        fault.count += 1
        fault.last_error = f"{type(exc).__name__}: {exc}"[:300]
        fault.last_at = time.time()
        if isinstance(exc, DREError):
            log.warning("background store call failed", extra={"actor": actor, "error": fault.last_error})
        else:
            log.error("background actor failed, retrying", extra={"actor": actor}, exc_info=exc)

    def total(self) -> int:
        return sum(f.count for f in self.by_actor.values())
