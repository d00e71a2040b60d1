"""The actor kit: how every actor of this package gets its mailbox.

Mailbox: :func:`mailbox`, a memory channel with a small, named buffer (never unbounded). The
actor owns the receive end; each producer holds its own ``clone()`` of the send end.
"""
from __future__ import annotations

import math

import trio


def mailbox(size: int) -> tuple[trio.MemorySendChannel, trio.MemoryReceiveChannel]:
    """An actor's mailbox: a memory channel with a small, named buffer (never unbounded).

    A full mailbox makes senders wait: that is the backpressure that keeps a burst from
    queueing more work than the actors can finish within a request's timeout.

    Raises: ValueError for an infinite or non-positive ``size``.
    """
    if size == math.inf or size < 1:
        raise ValueError("a mailbox has a finite, positive buffer")
    return trio.open_memory_channel(size)

