"""bench.task_cpu: the trio thread's CPU attributed to the task, and the stretch between two awaits,
that spent it."""
from __future__ import annotations

import trio

from bench.task_cpu import TaskCPU, where

HERE = "tests/bench/test_task_cpu.py"


def _burn(n: int) -> int:
    return sum(i * i for i in range(n))


async def burner() -> None:
    await trio.lowlevel.checkpoint()  # resumes here (the stretch's start)
    _burn(200_000)
    await trio.lowlevel.checkpoint()  # stops here (its end)


async def sleeper() -> None:
    await trio.sleep(0.01)


async def test_cpu_goes_to_the_task_and_the_stretch_that_spent_it():
    probe = TaskCPU(split=("burner",))
    with probe:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(burner)
            nursery.start_soon(sleeper)
    assert probe.by_task.most_common(1)[0][0] == "test_task_cpu.burner"
    start, end = (f"{HERE}:{n}" for n in (17, 19))
    (task, stretch), _ = probe.by_stretch.most_common(1)[0]
    assert (task, stretch) == ("test_task_cpu.burner", f"{start} -> {end}")
    assert not any("sleeper" in t for t, _ in probe.by_stretch)  # only the tasks asked for are split
    assert probe.steps >= 5  # burner 3, sleeper 2 (at least)


async def test_steps_begun_before_the_probe_was_added_are_not_counted():
    probe = TaskCPU()
    async with trio.open_nursery() as nursery:
        with probe:  # added (and removed) in the middle of this task's steps
            _burn(100_000)
            nursery.start_soon(burner)
            await trio.sleep(0.01)
    assert "test_task_cpu.burner" in probe.by_task
    assert not any(t.startswith("test_task_cpu.test_") for t in probe.by_task)  # neither half-step of this one


async def test_where_names_the_innermost_frame_of_this_project():
    async def parked() -> None:
        await trio.sleep_forever()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(parked)
        await trio.testing.wait_all_tasks_blocked()
        task = next(t for t in nursery.child_tasks)
        assert where(task) == f"{HERE}:{parked.__code__.co_firstlineno + 1}"
        nursery.cancel_scope.cancel()
