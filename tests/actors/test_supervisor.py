"""The supervisor restarts a crashing body with back-off and stops on a clean return."""
from __future__ import annotations

import trio

from actors.supervisor import RestartLog, supervise


async def test_restarts_until_clean_return(autojump_clock):
    runs = []

    async def body() -> None:
        runs.append(trio.current_time())
        if len(runs) < 4:
            raise ValueError(f"crash {len(runs)}")

    log = RestartLog()
    await supervise("a", body, log)
    assert len(runs) == 4
    assert log.restarts == {"a": 3} and log.last_error["a"] == "ValueError: crash 3"
    gaps = [b - a for a, b in zip(runs, runs[1:])]
    assert gaps == sorted(gaps) and gaps[1] > gaps[0]  # back-off grows


async def test_cancellation_is_not_a_crash(autojump_clock):
    log = RestartLog()
    with trio.move_on_after(1):
        await supervise("a", trio.sleep_forever, log)
    assert log.restarts == {}
