"""The actor kit: mailboxes are bounded."""
from __future__ import annotations

import math

import pytest
import trio

from actors.kit import mailbox


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
