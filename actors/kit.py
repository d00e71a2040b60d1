"""The actor kit: how every actor of this package gets its mailbox and is closed.

Mailbox: :func:`mailbox`, a memory channel with a small, named buffer (never unbounded). The
actor owns the receive end; each producer holds its own ``clone()`` of the send end.

Shutdown: every handle is an :class:`Actor`: ``await handle.aclose()``, idempotent. An actor
that serves a mailbox closes its send end (queued messages are still served, then the actor
ends); an actor that only polls or loops, holding nothing to drain, is a :class:`ScopedActor`
whose ``aclose`` cancels its tasks.
"""
from __future__ import annotations

import math
from typing import Protocol

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



class Actor(Protocol):
    """An actor's handle, as every ``start_x`` returns it."""

    async def aclose(self) -> None:
        """Stop the actor (idempotent); its tasks end in the nursery it was started in."""


class ScopedActor:
    """Base of a handle whose tasks run inside :attr:`cancel_scope` and hold nothing to drain
    (a poller, a job runner): :meth:`aclose` cancels them.

    The subclass's task enters ``self.cancel_scope`` (``with self.cancel_scope: ...``); a scope
    cancelled before it is entered cancels the task as soon as it enters it.
    """

    def __init__(self) -> None:
        self.cancel_scope = trio.CancelScope()

    async def aclose(self) -> None:
        """Cancel the actor's tasks; work in flight is abandoned (idempotent)."""
        self.cancel_scope.cancel()
        await trio.lowlevel.checkpoint()
