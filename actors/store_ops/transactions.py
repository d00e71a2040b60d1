"""Transactions: the transactionCounter, the priced iterations it keeps, and confirm."""
from __future__ import annotations

from typing import Collection, Mapping, Sequence

import orjson

from actors.store_ops.base import DONE_MARKER_TTL_S, RETURN_WINDOW_S, TXN_TTL_S, StorePart, ms
from actors.store_ops.coupons import code_keys, type_of
from dre.returns import SaleState
from dre.store import keys
from dre.store.records import BudgetUse, Confirmable, ConfirmResult, CouponClaim, now_ms
from dre.store.replies import confirm_refusal


class RefusedPromotions(Exception):
    """next_counter issued nothing: a confirm of the transaction was refused for promotions the
    iteration was priced with. Price again without ``ids`` (the whole refused set), then retry."""

    def __init__(self, ids: frozenset[str]) -> None:
        super().__init__(f"price without the refused promotions {sorted(ids)}")
        self.ids = ids


def _counter(reply: int | list) -> int:
    if isinstance(reply, list):
        raise RefusedPromotions(frozenset(reply))
    return int(reply)


class Transactions(StorePart):
    """``store.transactions``: a transaction's counter, its priced iterations, its confirm."""

    async def next_counter(
        self, tenant: str, txn_id: str, iteration: str, ttl_s: float = TXN_TTL_S,
        priced_without: Collection[str] = (),
    ) -> int:
        """Issue the next transactionCounter (1, 2, ...; gap-free) and keep ``iteration`` (JSON)
        as its priced result for ``ttl_s``. Returns the counter.

        Raises:
            RefusedPromotions: the transaction's refused set (promotions a confirm of it was
                refused for) holds one that is not in ``priced_without``; nothing was issued.
        """
        s = self._core.scripts.next_counter
        k = [keys.txn_counter(tenant, txn_id), keys.txn_iterations(tenant, txn_id), keys.txn_refused(tenant, txn_id),
             keys.txn_confirmed(tenant, txn_id)]
        return await self._core.call_script(s, k, [iteration, ms(ttl_s), *priced_without], _counter)

    async def latest_counter(self, tenant: str, txn_id: str) -> int:
        """The last transactionCounter issued for ``txn_id`` (0: none, or expired)."""
        key = keys.txn_counter(tenant, txn_id)
        return await self._core.call(lambda p: p.get(key), lambda r: int(r or 0))

    async def iteration(self, tenant: str, txn_id: str, counter: int) -> str | None:
        """The priced iteration (JSON) of that counter, or None (not the latest, or expired)."""
        key = keys.txn_iterations(tenant, txn_id)
        return await self._core.call(lambda p: p.hget(key, str(counter)))

    async def confirmable(self, tenant: str, txn_id: str, counter: int) -> Confirmable:
        """Judge a confirm without committing it (``lua/confirm.lua``, judging only): the kept
        iteration of ``counter``, or the first answer when it was confirmed already.

        Raises:
            DREError: confirm.lua's refusal as dre.store.replies.CONFIRM_REFUSALS maps it: 409
                ALREADY_CONFIRMED / STALE_ITERATION, 404 NOT_FOUND (never issued, or expired);
                503 STORE_UNAVAILABLE.
        """
        k = [keys.txn_counter(tenant, txn_id), keys.txn_iterations(tenant, txn_id), keys.txn_confirmed(tenant, txn_id),
             keys.txn_done(tenant, txn_id)]

        def parse(reply: list) -> Confirmable:
            if reply[0] == "CONFIRMABLE":
                return Confirmable(reply[1], None)
            if reply[0] == "REPLAYED":
                return Confirmable(None, reply[1])
            raise confirm_refusal(reply, txn_id, counter)

        return await self._core.call_script(self._core.scripts.confirm, k, [txn_id, counter, "", 0, 0, ""], parse)

    async def confirm(
        self,
        tenant: str,
        txn_id: str,
        counter: int,
        *,
        customer_id: str | None,
        promotions: Sequence[BudgetUse],
        coupons: Sequence[CouponClaim],
        answer: str,
        job_payload: str,
        now: int | None = None,
        ttl_s: float = TXN_TTL_S,
        sale_record: str = "",
        returns: Mapping[str, Sequence[tuple[str, int, int]]] | None = None,
    ) -> ConfirmResult:
        """Confirm one iteration, all or nothing (see ``lua/confirm.lua``).

        Consumes every promotion's budget, claims every coupon, stores ``answer`` as the first
        answer, enqueues the side-effects job with ``job_payload``, keeps ``sale_record`` (JSON,
        dre.returns.sale_record) for the returns that may name this sale (RETURN_WINDOW_S), and adds
        ``returns`` (original transactionId -> (counter field, delta, limit), dre.returns) to the
        named sales' counters, none past its limit. A replay of the same
        iteration returns the stored first answer with ``replayed=True`` and changes nothing.

        Raises:
            ValueError: a promotion or a coupon code listed twice, a negative amount, or no answer.
            DREError: confirm.lua's refusal as dre.store.replies.CONFIRM_REFUSALS maps it: 409
                ALREADY_CONFIRMED / STALE_ITERATION / BUDGET_EXHAUSTED (details[0].path =
                promotion id) / COUPON_UNAVAILABLE (details[0].path = code) / RETURN_EXCEEDS_SALE
                (details[0].path = the original transactionId); 404 NOT_FOUND;
                503 STORE_UNAVAILABLE.
        """
        if len({p.promotion_id for p in promotions}) != len(promotions):
            raise ValueError("a promotion is listed twice: aggregate its amount first")
        if len({c.code for c in coupons}) != len(coupons):
            raise ValueError("a coupon code is listed twice")
        if any(p.amount_cents < 0 for p in promotions):
            raise ValueError("budget amounts are >= 0 (returns do not consume budget)")
        if not answer:
            raise ValueError("no answer to keep (the script would only judge: see confirmable)")
        job_id = keys.job_id(txn_id, counter)
        k = [
            keys.txn_counter(tenant, txn_id),
            keys.txn_iterations(tenant, txn_id),
            keys.txn_confirmed(tenant, txn_id),
            keys.txn_done(tenant, txn_id),
            keys.job(tenant, job_id),
            keys.job_queue(tenant),
            keys.exhausted_budgets(tenant),
            keys.coupon_expiry(tenant),
        ]
        args: list[object] = [
            txn_id, counter, customer_id or "", now if now is not None else now_ms(), ms(ttl_s),
            answer, job_payload, job_id, len(promotions), len(coupons), ms(DONE_MARKER_TTL_S),
        ]
        for p in promotions:
            k += [keys.budget(tenant, p.promotion_id), keys.budget_customers(tenant, p.promotion_id)]
            args += list(p)
        for c in coupons:  # a code's type never changes: read before the script, checked by it
            type_id = await type_of(self._core, tenant, c.code)
            k += code_keys(tenant, c.code, type_id)
            args += [c.code, c.reservation_id, type_id]
        k.append(keys.budget_remaining(tenant))
        k.append(keys.txn_sale(tenant, txn_id))
        args += [sale_record, ms(RETURN_WINDOW_S), len(returns or {})]
        for original, incs in (returns or {}).items():
            k.append(keys.txn_sale(tenant, original))
            args += [original, len(incs)]
            for inc in incs:
                args += list(inc)
        k.append(keys.txn_refused(tenant, txn_id))
        s = self._core.scripts.confirm

        def parse(reply: list) -> ConfirmResult:
            if reply[0] == "CONFIRMED":
                left = {pid: int(v) for pid, v in orjson.loads(reply[2]).items()}
                return ConfirmResult(reply[1], False, tuple(reply[3:]), job_id, left)
            if reply[0] == "REPLAYED":
                return ConfirmResult(reply[1], True, (), job_id, {})
            raise confirm_refusal(reply, txn_id, counter)

        return await self._core.call_script(s, k, args, parse)

    async def sale(self, tenant: str, txn_id: str) -> SaleState | None:
        """A confirmed sale as the returns that name it see it (None: not kept: never confirmed
        with a discount or points, or older than the return window)."""
        key = keys.txn_sale(tenant, txn_id)

        def parse(h: dict) -> SaleState | None:
            if "record" not in h:
                return None
            return SaleState(orjson.loads(h["record"]), {f: int(v) for f, v in h.items() if f != "record"})

        return await self._core.call(lambda p: p.hgetall(key), parse)

    async def confirmed(self, tenant: str, txn_id: str) -> tuple[int, str] | None:
        """(counter, first answer) of a confirmed transaction, or None."""
        key = keys.txn_confirmed(tenant, txn_id)

        def parse(reply: list) -> tuple[int, str] | None:
            return None if reply[0] is None else (int(reply[0]), reply[1])

        return await self._core.call(lambda p: p.hmget(key, ["counter", "answer"]), parse)
