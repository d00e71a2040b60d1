"""The actor kit: mailboxes are bounded; a scoped actor's aclose cancels its tasks, idempotently."""
from __future__ import annotations

import math

import pytest
import trio

from actors.kit import ScopedActor, mailbox


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
