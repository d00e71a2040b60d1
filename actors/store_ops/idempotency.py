"""Idempotency-Keys: a claim per (route, key), then the first answer, replayed for a day."""
from __future__ import annotations

from collections.abc import Sequence

from actors.store_ops.base import DAY_S, StorePart, ms
from dre.store import codes, keys
from dre.store.records import IdempotencyClaim

IDEMPOTENCY_TTL_S = DAY_S  # a stored answer is replayed for 24 h (contract)
IDEMPOTENCY_IN_FLIGHT_S = 60.0  # a claim whose request died is freed after this


class IdempotencyKeys(StorePart):
    """``store.idempotency``: the Idempotency-Keys of the POST routes and their first answers."""

    async def claim(
        self, tenant: str, scope: str, key: str, fingerprint: str, in_flight_s: float = IDEMPOTENCY_IN_FLIGHT_S,
    ) -> IdempotencyClaim:
        """Claim ``key`` for one request of route ``scope``; see IdempotencyClaim for the states.
        ``fingerprint`` identifies the request body (a reused key with another body: MISMATCH)."""
        owner = codes.new_token("I")
        k = [keys.idempotency(tenant, scope, key)]
        s = self._core.scripts.idempotency_claim

        def parse(r: list) -> IdempotencyClaim:
            if r[0] == "DONE":
                return IdempotencyClaim("DONE", owner, int(r[1]), r[2])
            return IdempotencyClaim(r[0], owner)

        return await self._core.call_script(s, k, [owner, fingerprint, ms(in_flight_s)], parse)

    async def put(
        self, tenant: str, scope: str, key: str, owner: str, status: int, body: str,
        ttl_s: float = IDEMPOTENCY_TTL_S,
    ) -> bool:
        """Store the first answer under a claimed key. False if the claim was not ``owner``'s."""
        k = [keys.idempotency(tenant, scope, key)]
        s = self._core.scripts.idempotency_put
        return await self._core.call_script(s, k, [owner, status, body, ms(ttl_s)], lambda r: bool(int(r)))

    async def release(self, tenant: str, scope: str, key: str, owner: str, outcome_unknown: bool = False,
                      ttl_s: float = IDEMPOTENCY_TTL_S) -> bool:
        """Give up a claim without an answer (the request failed retryably). Dropped when nothing
        was done; kept as UNKNOWN for ``ttl_s`` when a store reply was lost (``outcome_unknown``),
        so that only a retry of the same request runs. False if the claim was not ours."""
        k = [keys.idempotency(tenant, scope, key)]
        s = self._core.scripts.idempotency_release
        keep = str(ms(ttl_s)) if outcome_unknown else ""
        return await self._core.call_script(s, k, [owner, keep], lambda r: bool(int(r)))

    async def forget_journal(self, journal_keys: Sequence[str]) -> None:
        """Drop a request's journaled script replies (actors/operation.py) once its answer is
        kept: a retry then replays the answer and runs nothing, so they would only take memory
        until their TTL. One call per key (on a cluster they may lie in different slots)."""
        for key in journal_keys:
            await self._core.call(lambda p, key=key: p.unlink(key))
