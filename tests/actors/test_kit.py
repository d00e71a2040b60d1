"""The actor kit: mailboxes are bounded; open_actor closes its actor however the block ends; a
scoped actor's aclose cancels its tasks; aclose is idempotent."""
from __future__ import annotations

import math

import pytest
import trio

from actors.kit import ScopedActor, mailbox, open_actor


@pytest.mark.parametrize("size", [math.inf, 0, -1])
def test_a_mailbox_must_be_bounded(size):
    with pytest.raises(ValueError):
        mailbox(size)


async def test_a_full_mailbox_makes_the_sender_wait(autojump_clock):
    send, receive = mailbox(2)
    send.send_nowait(1)
    send.send_nowait(2)
    with pytest.raises(trio.WouldBlock):
        send.send_nowait(3)
    with trio.move_on_after(1) as waited:
        await send.send(3)
    assert waited.cancelled_caught  # nobody received: the sender is still waiting at its deadline
    assert [receive.receive_nowait(), receive.receive_nowait()] == [1, 2]


class Poller(ScopedActor):
    """A scoped actor that loops until cancelled, counting its rounds."""

    def __init__(self) -> None:
        super().__init__()
        self.rounds = 0
        self.ended = trio.Event()

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        try:
            with self.cancel_scope:
                task_status.started(self)
                while True:
                    await trio.sleep(1)
                    self.rounds += 1
        finally:
            self.ended.set()


async def test_a_scoped_actors_aclose_cancels_its_task_and_is_idempotent(nursery, autojump_clock):
    poller = await nursery.start(Poller().run)
    await trio.sleep(2.5)
    assert poller.rounds == 2
    await poller.aclose()
    await poller.ended.wait()
    await poller.aclose()  # again: nothing left to stop, no error
    assert poller.cancel_scope.cancelled_caught
    assert poller.rounds == 2


async def test_a_scoped_actor_closed_before_its_task_runs_never_starts_a_round(nursery, autojump_clock):
    poller = Poller()
    await poller.aclose()
    nursery.start_soon(poller.run)
    await poller.ended.wait()
    assert poller.rounds == 0


STALL = -1  # an item the collector never finishes serving: it is busy until cancelled


class Collector:
    """A mailbox actor's handle: what it served, how it ended, how often it was closed."""

    def __init__(self, send: trio.MemorySendChannel) -> None:
        self.send = send
        self.served: list[int] = []
        self.busy = trio.Event()  # set once it serves STALL
        self.ended: str | None = None  # "drained" or "cancelled"
        self.closes = 0

    async def aclose(self) -> None:
        self.closes += 1
        await self.send.aclose()


async def start_collector(nursery: trio.Nursery, size: int = 4) -> Collector:
    send, receive = mailbox(size)
    handle = Collector(send)

    async def run(task_status=trio.TASK_STATUS_IGNORED) -> None:
        async with receive:
            task_status.started()
            try:
                async for item in receive:
                    if item == STALL:
                        handle.busy.set()
                        await trio.sleep_forever()
                    handle.served.append(item)
                handle.ended = "drained"
            except trio.Cancelled:
                handle.ended = "cancelled"
                raise

    await nursery.start(run)
    return handle


async def test_open_actor_closes_the_actor_on_exit_and_waits_for_it_to_drain():
    async with open_actor(start_collector, size=8) as actor:
        for i in range(5):
            actor.send.send_nowait(i)
        assert actor.served == []  # nothing served yet: the block has not yielded
    assert actor.closes == 1
    assert (actor.ended, actor.served) == ("drained", [0, 1, 2, 3, 4])


async def test_open_actor_closes_the_actor_when_the_block_raises():
    with pytest.RaisesGroup(KeyError):
        async with open_actor(start_collector) as actor:
            actor.send.send_nowait(STALL)
            actor.send.send_nowait(1)
            await actor.busy.wait()
            raise KeyError("boom")
    assert actor.closes == 1
    assert actor.ended == "cancelled"  # the nursery cancels what is left: no draining after an error
    assert actor.served == []


async def test_open_actor_closes_the_actor_when_the_block_is_cancelled(autojump_clock):
    with trio.move_on_after(1) as scope:
        async with open_actor(start_collector) as actor:
            actor.send.send_nowait(STALL)
            await trio.sleep_forever()
    assert scope.cancelled_caught
    assert actor.closes == 1
    assert actor.ended == "cancelled"


async def test_aclose_is_idempotent():
    async with open_actor(start_collector) as actor:
        await actor.aclose()
        await actor.aclose()
        with pytest.raises(trio.ClosedResourceError):
            actor.send.send_nowait(1)
    assert actor.closes == 3  # twice here, once by open_actor: no error
    assert actor.ended == "drained"
