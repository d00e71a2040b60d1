"""A circuit breaker for the store: fail fast while Redis is unreachable, probe after a cool-down.

closed --(FAILURE_THRESHOLD consecutive connection failures)--> open
open --(cool-down elapsed; the next call is let through as the one probe)--> half_open
half_open --(probe succeeds)--> closed;  half_open --(probe fails)--> open (new cool-down)

Only connection-level failures count (refused, reset, socket timeout); a script's error reply
means Redis is fine. Everything runs on the trio thread, so no locking is needed.
"""
from __future__ import annotations

import time
from enum import Enum
from typing import Callable

import trio

from dre.store.replies import store_unavailable

FAILURE_THRESHOLD = 2  # consecutive failed batches before opening (one may be a stale socket)
COOLDOWN_S = 1.0  # how long calls fail fast before one probe is let through


class BreakerState(str, Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """State and counters of one store's breaker.

    Args:
        failure_threshold: consecutive failures that open the breaker.
        cooldown_s: time the breaker stays open before letting a probe through.
        clock: monotonic seconds; ``trio.current_time`` so that tests may use ``autojump_clock``.
    """

    def __init__(
        self,
        failure_threshold: int = FAILURE_THRESHOLD,
        cooldown_s: float = COOLDOWN_S,
        clock: Callable[[], float] = trio.current_time,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_out = False
        self.last_ok: float | None = None  # wall-clock time of the last successful store call
        self.last_error: str | None = None

    @property
    def state(self) -> BreakerState:
        """Current state; an open breaker whose cool-down is over reports half_open."""
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.cooldown_s:
            return BreakerState.HALF_OPEN
        return self._state

    def admit(self) -> bool:
        """Let a call through or raise DREError 503 STORE_UNAVAILABLE at once.

        Returns True when this call is the probe: the caller must then call
        :meth:`probe_abandoned` if it leaves before an outcome was recorded (cancelled).
        """
        if self._state is BreakerState.CLOSED:  # every call asks: the usual answer without the property
            return False
        state = self.state
        if state is BreakerState.CLOSED:
            return False
        if state is BreakerState.HALF_OPEN and not self._probe_out:
            self._state = BreakerState.HALF_OPEN
            self._probe_out = True
            return True
        raise store_unavailable(f"store unavailable (circuit {state.value}): {self.last_error}")

    def probe_abandoned(self) -> None:
        """The probe's caller left without an outcome: let the next call probe instead."""
        if self._state is BreakerState.HALF_OPEN:
            self._probe_out = False

    def record_success(self) -> None:
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._probe_out = False
        self.last_ok = time.time()

    def record_failure(self, error: BaseException) -> None:
        self._failures += 1
        self.last_error = f"{type(error).__name__}: {error}"
        if self._state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
            self._state = BreakerState.OPEN
            self._opened_at = self._clock()
            self._probe_out = False
