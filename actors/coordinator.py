"""Coordinator: scatter one basket to every shard, merge their candidates, resolve, answer.

With a single shard there is nothing to merge: its actor prices both phases in one message.

It is a plain object in the requester's task: a request's pricing runs as messages to the shard
actors and to the resolver, and the requester waits for the replies under one deadline, kept by
the engine's deadline task (actors.deadlines: no cancel scope per request). It holds its own
clones of the actors' mailbox send ends (it is their producer).
"""
from __future__ import annotations

import trio

from actors.deadlines import Deadlines
from actors.messages import Gather, engine_unavailable
from actors.resolver import ResolveJob
from actors.shard import ShardJob
from dre.basket import Basket
from dre.pricing import Prepared, PromotionSet, merge_candidates
from dre.pricing.context import Context
from dre.pricing.result import Result

PRICE_TIMEOUT_S = 0.25  # a request not priced within this gets a 503 instead of hanging (the service
# takes it from DRE_PRICE_DEADLINE_MS): a lane waits no longer, and with pricing off the event loop
# and the best-deal search bounded by work (~15 ms at most), only a worker overloaded with
# pathological baskets reaches it


class Coordinator:
    """Prices baskets through the shard actors and the resolver.

    Args:
        shard_sends: one send end per shard actor, index = shard number (clones are taken).
        resolve_send: the resolver mailbox's send end (a clone is taken).
        deadlines: the keeper of the per-request deadline (its ``run`` is the engine's task).
        timeout_s: the per-request pricing deadline.

    Close it with :meth:`aclose` (or ``async with``) so that the actors see their mailboxes end.
    """

    def __init__(self, shard_sends: list[trio.MemorySendChannel], resolve_send: trio.MemorySendChannel,
                 deadlines: Deadlines, timeout_s: float = PRICE_TIMEOUT_S) -> None:
        self._shards = [s.clone() for s in shard_sends]
        self._resolve = resolve_send.clone()
        self._deadlines = deadlines
        self.timeout_s = timeout_s

    @property
    def n_shards(self) -> int:
        return len(self._shards)

    async def price(self, pset: PromotionSet, basket: Basket, ctx: Context) -> Result:
        """The Result of ``basket`` under ``pset`` (the set the request started with).

        Raises:
            DREError: 503 ENGINE_UNAVAILABLE when an actor crashed on this request's batch, the
                engine is shutting down, or no answer came within ``timeout_s``.

        Cancellation: the request's messages may still be priced; the answers are dropped.
        """
        if pset.n_shards != len(self._shards):
            raise ValueError(f"promotion set has {pset.n_shards} shards, the engine {len(self._shards)}")
        deadline = trio.current_time() + self.timeout_s
        try:
            if len(self._shards) == 1:
                # nothing to merge: the one shard actor prices both phases, no resolver hop
                whole: Gather[Result] = Gather(1, self._too_slow)
                await _post(self._shards[0], ShardJob(pset, Prepared(basket, ctx), whole), deadline)
                return (await self._wait(whole, deadline))[0]
            item = pset.prepare(basket, ctx)  # once, not once per shard
            parts: Gather = Gather(len(self._shards), self._too_slow)
            for send in self._shards:
                await _post(send, ShardJob(pset, item, parts), deadline)
            cands = merge_candidates(await self._wait(parts, deadline))
            resolved: Gather[Result] = Gather(1, self._too_slow)
            await _post(self._resolve, ResolveJob(pset, item, cands, resolved), deadline)
            return (await self._wait(resolved, deadline))[0]
        except trio.TooSlowError:
            raise self._too_slow() from None
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            raise engine_unavailable("the engine is shutting down") from None

    async def _wait(self, reply: Gather, deadline: float) -> list:
        self._deadlines.watch(reply, deadline)  # fails it with _too_slow() at the deadline
        return await reply.wait()

    def _too_slow(self) -> BaseException:
        return engine_unavailable(f"pricing took longer than {self.timeout_s * 1000:g} ms")

    async def aclose(self) -> None:
        """Close this coordinator's mailbox clones. Idempotent."""
        for send in self._shards:
            await send.aclose()
        await self._resolve.aclose()

    async def __aenter__(self) -> "Coordinator":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


async def _post(send: trio.MemorySendChannel, job: object, deadline: float) -> None:
    """Put ``job`` in a mailbox; wait only when it is full, until ``deadline`` (an awaited
    ``send`` always yields to the scheduler, a trip per message that a request with room to
    spare need not make). Raises trio.TooSlowError at the deadline."""
    try:
        send.send_nowait(job)
    except trio.WouldBlock:
        with trio.fail_at(deadline):
            await send.send(job)
