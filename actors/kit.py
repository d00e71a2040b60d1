"""The actor kit: how every actor of this package gets its mailbox, is opened and is closed.

Mailbox: :func:`mailbox`, a memory channel with a small, named buffer (never unbounded). The
actor owns the receive end; each producer holds its own ``clone()`` of the send end.

Lifecycle (STYLE.md §2): each actor comes as a pair. ``start_x(nursery, ...)`` starts it in the
caller's nursery and returns its handle once it is ready; ``open_x(...)`` is
``open_actor(start_x, ...)``, which owns a nursery for the duration of an ``async with`` block::

    async with open_actor(start_x, ...) as handle: ...    # = async with open_x(...) as handle
    handle = await start_x(nursery, ...); ...; await handle.aclose()

Shutdown: every handle is an :class:`Actor`: ``await handle.aclose()``, idempotent. An actor
that serves a mailbox closes its send end (queued messages are still served, then the actor
ends); an actor that only polls or loops, holding nothing to drain, is a :class:`ScopedActor`
whose ``aclose`` cancels its tasks.
"""
from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

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


A = TypeVar("A", bound=Actor)


@asynccontextmanager
async def open_actor(start: Callable[..., Awaitable[A]], /, *args: Any, **kwargs: Any) -> AsyncIterator[A]:
    """``async with open_actor(start_x, ...) as handle``: the actor lives for the block.

    Args:
        start: ``start(nursery, *args, **kwargs) -> handle``, which returns once the actor is ready.

    Owns its nursery. On leaving the block (normally, by an exception or by cancellation)
    ``await handle.aclose()`` runs, then the nursery waits for the actor's tasks to end; if the
    block raised or was cancelled, those tasks are cancelled with it (trio wraps the block's
    exception in an ExceptionGroup, as any nursery does).
    """
    async with trio.open_nursery() as nursery:
        handle = await start(nursery, *args, **kwargs)
        try:
            yield handle
        finally:
            await handle.aclose()


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
