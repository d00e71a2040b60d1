"""Mailboxes are bounded; drain takes only what already waits."""
from __future__ import annotations

import math

import pytest
import trio

from actors.messages import drain, mailbox


def test_mailbox_must_be_bounded():
    with pytest.raises(ValueError):
        mailbox(math.inf)


async def test_drain_takes_what_waits_up_to_max():
    send, receive = mailbox(10)
    for i in range(5):
        send.send_nowait(i)
    assert drain(await receive.receive(), receive, 3) == [0, 1, 2]
    assert drain(await receive.receive(), receive, 10) == [3, 4]
    with pytest.raises(trio.WouldBlock):
        receive.receive_nowait()
