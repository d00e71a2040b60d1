"""The deadline keeper: fails what is unanswered at its deadline, nothing else, nothing early."""
from __future__ import annotations

import trio

from actors.deadlines import Deadlines


class _Waiter:
    def __init__(self) -> None:
        self.settled = False
        self.expired_at: float | None = None

    def expire(self) -> None:
        self.settled = True
        self.expired_at = trio.current_time()


async def test_unanswered_waiters_expire_at_their_deadline_in_any_watch_order(autojump_clock):
    keeper = Deadlines()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(keeper.run)
        start = trio.current_time()
        late, early, answered = _Waiter(), _Waiter(), _Waiter()
        keeper.watch(late, start + 2.0)
        keeper.watch(early, start + 0.5)  # watched after a later deadline: still on time
        keeper.watch(answered, start + 1.0)
        await trio.sleep(0.7)
        assert early.expired_at is not None and 0.5 <= early.expired_at - start < 0.5 + 1e-6
        assert late.expired_at is None
        answered.settled = True
        await trio.sleep(2.0)
        assert late.expired_at is not None and 2.0 <= late.expired_at - start < 2.0 + 1e-6
        assert answered.expired_at is None and keeper.unsettled() == 0
        keeper.close()  # nothing left: run returns and the nursery ends


async def test_close_waits_for_the_waiters_already_watched(autojump_clock):
    keeper = Deadlines()
    waiter = _Waiter()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(keeper.run)
        keeper.watch(waiter, trio.current_time() + 1.0)
        keeper.close()
    assert waiter.expired_at is not None  # run kept its deadline before returning


async def test_deadlines_in_order_and_out_of_order_each_expire_on_time(autojump_clock):
    """Deadlines watched in rising order (the store actor's: one timeout for every call) are queued,
    an earlier one watched after them goes to the heap: each waiter still expires at its own."""
    keeper = Deadlines()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(keeper.run)
        start = trio.current_time()
        deadlines = {"a": 1.0, "b": 2.0, "early": 0.5, "c": 3.0, "between": 2.5}
        waiters = {name: _Waiter() for name in deadlines}
        for name, after in deadlines.items():
            keeper.watch(waiters[name], start + after)
        waiters["b"].settled = True  # answered: never expired, and no obstacle to the ones after it
        await trio.sleep(3.5)
        for name, after in deadlines.items():
            at = waiters[name].expired_at
            if name == "b":
                assert at is None
            else:
                assert at is not None and after <= at - start < after + 1e-6, (name, at - start)
        keeper.close()
