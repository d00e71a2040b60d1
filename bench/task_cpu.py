"""Main-thread CPU per trio task, and per stretch between two awaits of a task: where a request's
CPU goes, counted deterministically (no sampling; ``bench.http_inprocess --breakdown``).

A trio Instrument reads the thread's CPU clock (``time.thread_time_ns``) before and after every
task step. A step runs from one await of the task to the next, so keying it by where the task
resumed and where it stopped again (the innermost frame of this project's code, not trio's or a
library's) splits a request into its stretches: the route up to the engine's answer, from there
to the store's, and so on. The frames are looked up outside the timed window; each step still
pays ~1 µs for the clock reads, so the figures run a little high.
"""
from __future__ import annotations

import gc
import threading
import time
from collections import Counter
from pathlib import Path

import trio

ROOT = str(Path(__file__).resolve().parent.parent)
VENV = f"{ROOT}/.venv/"
IO_WAIT = "(trio: waiting for I/O, the syscall)"  # CPU while the run loop polls (epoll_wait)
GC = "(of all the above: garbage collections)"  # counted inside the step or wait they interrupted too


_OURS: dict[str, str | None] = {}  # file name -> its path in this project (None: a library's)


def _ours(filename: str) -> str | None:
    name = _OURS.get(filename, "")
    if name == "":
        inside = filename.startswith(ROOT + "/") and not filename.startswith(VENV)
        name = _OURS[filename] = filename[len(ROOT) + 1:] if inside else None
    return name


def where(task: trio.lowlevel.Task) -> str:
    """``file:line`` of the innermost frame of this project's code in the task's await chain
    (``-`` when none: a task not started or finished, or inside a library only)."""
    coro, found, line = task.coro, None, 0
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        name = _ours(frame.f_code.co_filename)
        if name is not None:
            found, line = name, frame.f_lineno
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return f"{found}:{line}" if found else "-"


def short_name(task: trio.lowlevel.Task) -> str:
    """The task's function without ``<locals>``: ``StoreCore.worker``, ``start_shard.run``."""
    parts = [p for p in task.name.split(".") if p != "<locals>"]
    return ".".join(parts[-2:])


class TaskCPU(trio.abc.Instrument):
    """Accumulates nanoseconds of the trio thread's CPU by task and, for tasks whose name
    contains one of ``split``, by stretch (``resumed at -> stopped at``)."""

    def __init__(self, split: tuple[str, ...] = ()) -> None:
        self.split = split
        self.by_task: Counter[str] = Counter()
        self.by_stretch: Counter[tuple[str, str]] = Counter()
        self._started = 0
        self._task: trio.lowlevel.Task | None = None  # None: the step was begun before this was added
        self._from = ""
        self._io_started = 0
        self._gc_started = 0
        self._thread = 0
        self.steps = 0

    def gc_callback(self, phase: str, info: dict) -> None:
        """For ``gc.callbacks`` (the trio thread's collections only)."""
        if threading.get_ident() != self._thread:
            return
        if phase == "start":
            self._gc_started = time.thread_time_ns()
        elif self._gc_started:
            self.by_task[GC] += time.thread_time_ns() - self._gc_started
            self._gc_started = 0

    def __enter__(self) -> "TaskCPU":
        """Counting from here (call on the trio thread) until the block ends."""
        self._thread = threading.get_ident()
        gc.callbacks.append(self.gc_callback)
        trio.lowlevel.add_instrument(self)
        return self

    def __exit__(self, *exc: object) -> None:
        trio.lowlevel.remove_instrument(self)
        gc.callbacks.remove(self.gc_callback)

    def before_io_wait(self, timeout: float) -> None:
        self._io_started = time.thread_time_ns()

    def after_io_wait(self, timeout: float) -> None:
        if self._io_started:
            self.by_task[IO_WAIT] += time.thread_time_ns() - self._io_started
            self._io_started = 0

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self._from = where(task) if any(s in task.name for s in self.split) else ""
        self._task = task
        self._started = time.thread_time_ns()

    def after_task_step(self, task: trio.lowlevel.Task) -> None:
        spent = time.thread_time_ns() - self._started
        if self._task is not task:
            return
        self._task = None
        self.steps += 1
        name = short_name(task)
        self.by_task[name] += spent
        if self._from:
            self.by_stretch[(name, f"{self._from} -> {where(task)}")] += spent
