"""drain takes only what already waits; where a batch is priced."""
from __future__ import annotations

import threading

import pytest
import trio

from actors.kit import mailbox
from actors.messages import INLINE_MAX, drain, serve_batches


async def test_drain_takes_what_waits_up_to_max():
    send, receive = mailbox(10)
    for i in range(5):
        send.send_nowait(i)
    assert drain(await receive.receive(), receive, 3) == [0, 1, 2]
    assert drain(await receive.receive(), receive, 10) == [3, 4]
    with pytest.raises(trio.WouldBlock):
        receive.receive_nowait()


class _Job:
    def __init__(self, pset: object) -> None:
        self.pset = pset
        self.reply = None


async def test_small_groups_are_priced_on_the_loop_big_ones_in_a_thread():
    """INLINE_MAX decides: a hop to a thread costs more than pricing a few baskets."""
    seen: list[tuple[int, bool]] = []  # (group size, priced on the event loop's thread)

    def price(group: list) -> list:
        seen.append((len(group), threading.current_thread() is threading.main_thread()))
        return [None] * len(group)

    for n in (1, INLINE_MAX, INLINE_MAX + 1):
        send, receive = mailbox(64)
        for _ in range(n):
            send.send_nowait(_Job(pset=object))
        send.close()
        await serve_batches(receive, trio.CapacityLimiter(1), 64, price, lambda job, result: None, "test")
    assert seen == [(1, True), (INLINE_MAX, True), (INLINE_MAX + 1, False)]
