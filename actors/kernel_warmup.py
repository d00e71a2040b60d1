"""The numba kernels, made ready while the worker already serves.

Compiling every kernel the service prices with takes ~45 s of CPU on a fresh machine (an empty
numba cache) and loading them from the cache still a few seconds. Instead of waiting, a worker
serves at once with the reference evaluator behind an article index
(dre.evaluate.IndexedReferenceSet: the same answers, milliseconds a basket) and makes the kernels
ready beside it:

1. a child process (``python -m kernels``) compiles them into numba's on-disk cache, on the other
   core, without taking the worker's GIL; workers starting together compile once (a file lock,
   kernels.warmup.warmup_once); no child when the cache was filled from these sources already;
2. the worker loads them from the cache in a thread;
3. :data:`status` turns READY and the engine rebuilds every tenant's set as a KernelSet and swaps
   it in (actors.engine); requests in flight finish on the set they started with.

The state is per process (what this process can price with): LAZY when nobody warms up (tests,
tools: KernelSet at once, compiled on first use, as before), COMPILING, READY, or UNAVAILABLE
(the kernels failed to build here: the reference path stays).
"""
from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import trio

log = logging.getLogger("dre.engine")

LAZY, COMPILING, READY, UNAVAILABLE = "LAZY", "COMPILING", "READY", "UNAVAILABLE"
STATES = (LAZY, COMPILING, READY, UNAVAILABLE)
# Compiles the service's kernels into the cache unless it was filled from these very sources
# already (kernels.warmup.cache_filled: a restart). Asked in the child: the question imports the
# kernels package, hence numba (~1 s holding the GIL), which the worker defers until it serves.
CHILD = [sys.executable, "-c", "from kernels.warmup import cache_filled, warmup_once; cache_filled() or warmup_once()"]


class KernelStatus:
    """This process's kernels: ``state`` (one of STATES) and when they became ready."""

    def __init__(self) -> None:
        self.state = LAZY
        self.ready_after_s: float | None = None  # seconds from the start of the warm-up to READY

    @property
    def usable(self) -> bool:
        """New promotion sets are KernelSets (else the reference path)."""
        return self.state in (LAZY, READY)


status = KernelStatus()


async def compile_in_child() -> None:
    """Fill numba's cache in a child process (its own GIL and core), unless it was filled from
    these very sources already (the child asks: CHILD). Raises OSError or CalledProcessError when
    it fails; cancelled, it kills the child."""
    await trio.run_process(CHILD, stdin=subprocess.DEVNULL, capture_stderr=True)


def load_here() -> None:
    """Load (or, when the cache is empty, compile) the kernels in this process (CPU: a thread)."""
    from kernels import warmup  # type: ignore[attr-defined]

    warmup(batch=False)


def begin_warm_up() -> None:
    """COMPILING (unless the kernels are loaded already): new sets take the reference path."""
    if status.state != READY:
        status.state = COMPILING


async def warm_up_in_background(on_ready: Callable[[], None],
                                before_load: Callable[[], Awaitable[None]] | None = None) -> None:
    """COMPILING until the kernels are loaded here, then READY and ``on_ready()``; UNAVAILABLE
    when they cannot be built. Cancelled before that (the engine closed), back to LAZY.
    ``before_load``: awaited before the kernels are loaded into this process (loading holds the
    GIL for seconds: the service loads them once it listens)."""
    if status.state == READY:
        on_ready()
        return
    begin_warm_up()
    started = time.monotonic()
    try:
        try:
            await compile_in_child()
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            log.warning("kernel compile in a child process failed: compiling here",
                        extra={"error": str(exc), "stderr": detail.decode(errors="replace")[-2000:]})
        if before_load is not None:
            await before_load()
        await trio.to_thread.run_sync(load_here, abandon_on_cancel=True)
    except trio.Cancelled:
        status.state = LAZY  # nothing loaded
        raise
    except Exception as exc:  # noqa: BLE001 - no kernels here (numba missing, a compile error): keep serving
        status.state = UNAVAILABLE
        log.error("numba kernels unavailable: pricing with the reference evaluator", extra={"error": repr(exc)})
        return
    status.state = READY
    status.ready_after_s = time.monotonic() - started
    log.info("numba kernels ready", extra={"seconds": round(status.ready_after_s, 3)})
    on_ready()
