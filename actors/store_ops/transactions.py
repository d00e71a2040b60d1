"""Transactions: the transactionCounter, the priced iterations it keeps, and confirm.

A transaction's counter and iterations live in its own cluster slot (every evaluate writes them:
a big tenant's lanes spread over every master), the budgets and coupons a confirm commits in the
tenant's slot (dre.store.keys). A confirm is therefore four steps, each atomic in its slot, in
three requests of the store actor (the first two go together, ``call_group``)::

    txn_seal    (transaction's slot)  judge the counter: a replay, confirmed long ago (done marker),
                                      the latest issued, still kept; seal it: no new counter is
                                      issued while the seal holds; write the job HELD
    enqueue     (a queue bucket)      the job, before the commit: no commit lands without it. Sent
                                      with the seal (on a cluster it may land first: the job
                                      worker puts off an entry whose job a seal may still write)
    confirm     (tenant's slot)       judge again against earlier confirms (exactly once), then
                                      all or nothing: budgets and their remainders, coupons,
                                      linked returns' counters and the sale record, confirmed
                                      marker. Batched: the round's confirms of the slot in one call
    txn_settle  (transaction's slot)  let go of the seal; keep the answer's copy and the done
                                      marker, the job PENDING; or the refused promotion (the job
                                      dropped)

The seal makes the commit land while its iteration is still the latest (an evaluate at the same
instant waits for it, then gets the next counter, whose confirm is ALREADY_CONFIRMED). A worker
that dies between the steps leaves at most a seal, which expires after SEAL_TTL_S, and a HELD job
the job worker resolves: nothing is held in the tenant's slot, so nothing leaks and nothing is
consumed twice (docs/store.md).
"""
from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence

import orjson
import trio

from actors.store_ops.base import DONE_MARKER_TTL_S, RETURN_WINDOW_S, TXN_TTL_S, StorePart, ms
from actors.store_ops.confirmed import read_confirmed
from actors.store_ops.coupons import CodeTypes, code_keys
from actors.store_ops.jobs import HELD_TTL_S, JobQueue, enqueue_command
from dre.errors import DREError
from dre.returns import SaleState
from dre.store import keys
from dre.store.records import BudgetUse, Confirmable, ConfirmResult, CouponClaim, now_ms
from dre.store.replies import confirm_refusal, store_unavailable

SEAL_TTL_S = 15.0  # longer than a confirm can take (5 s call deadline + a pipeline's 3 s socket
# timeout): a seal never lapses under a commit still on its way; a dead worker's lapses by itself
SEALED_PAUSE_S = 0.002  # an evaluate that meets a confirm in flight waits this, then tries again
SEALED_WAIT_S = 1.0  # ...for this long at most; then a 503 (the confirm's worker died: the seal lapses)
# in ms, as the scripts take them (converted once, not by every confirm)
_SEAL_TTL_MS, _HELD_TTL_MS = ms(SEAL_TTL_S), ms(HELD_TTL_S)
_RETURN_WINDOW_MS, _DONE_MARKER_TTL_MS = ms(RETURN_WINDOW_S), ms(DONE_MARKER_TTL_S)


class RefusedPromotions(Exception):
    """next_counter issued nothing: a confirm of the transaction was refused for promotions the
    iteration was priced with. Price again without ``ids`` (the whole refused set), then retry."""

    def __init__(self, ids: frozenset[str]) -> None:
        super().__init__(f"price without the refused promotions {sorted(ids)}")
        self.ids = ids


class _Sealed(Exception):
    """next_counter issued nothing: a confirm of the transaction is in flight (txn_seal.lua)."""


def _counter(reply: int | list) -> int:
    if isinstance(reply, list):
        raise RefusedPromotions(frozenset(reply))
    if reply == 0:
        raise _Sealed
    return int(reply)


class Transactions(StorePart):
    """``store.transactions``: a transaction's counter, its priced iterations, its confirm."""

    def __init__(self, core, code_types: CodeTypes) -> None:  # noqa: ANN001 - the store core (StorePart)
        super().__init__(core)
        self._jobs = JobQueue(core)  # a confirm queues its job
        self._code_types = code_types  # a packed commit names each code with its type

    async def next_counter(
        self, tenant: str, txn_id: str, iteration: str | bytes, ttl_s: float = TXN_TTL_S,
        priced_without: Collection[str] = (),
    ) -> int:
        """Issue the next transactionCounter (1, 2, ...; gap-free) and keep ``iteration`` (JSON)
        as its priced result for ``ttl_s``. Returns the counter.

        A confirm of the transaction in flight (sealed) is waited for, up to SEALED_WAIT_S.

        Raises:
            RefusedPromotions: the transaction's refused set (promotions a confirm of it was
                refused for) holds one that is not in ``priced_without``; nothing was issued.
            DREError: 503 STORE_UNAVAILABLE (also: still sealed after SEALED_WAIT_S).
        """
        s = self._core.scripts.next_counter
        counter, iterations, seal, answer, refused = keys.txn_slot_keys(tenant, txn_id)
        k = (counter, iterations, refused, answer, seal)
        args = [iteration, ms(ttl_s), *priced_without]
        try:
            return await self._core.call_script(s, k, args, _counter)
        except _Sealed:
            pass
        # A confirm is in flight: wait for it. Only now a cancel scope (one per call cost more CPU
        # than the rest of the call on the trio side, see actors/deadlines.py).
        with trio.move_on_after(SEALED_WAIT_S):
            while True:
                await trio.sleep(SEALED_PAUSE_S)
                try:
                    return await self._core.call_script(s, k, args, _counter)
                except _Sealed:
                    pass
        raise store_unavailable(f"transaction {txn_id} is being confirmed; evaluate again in a moment")

    async def latest_counter(self, tenant: str, txn_id: str) -> int:
        """The last transactionCounter issued for ``txn_id`` (0: none, or expired)."""
        key = keys.txn_counter(tenant, txn_id)
        return await self._core.call(lambda p: p.get(key), lambda r: int(r or 0))

    async def iteration(self, tenant: str, txn_id: str, counter: int) -> str | None:
        """The priced iteration (JSON) of that counter, or None (not the latest, or expired)."""
        key = keys.txn_iterations(tenant, txn_id)
        return await self._core.call(lambda p: p.hget(key, str(counter)))

    async def confirmable(self, tenant: str, txn_id: str, counter: int) -> Confirmable:
        """Judge a confirm without committing it (``txn_seal.lua`` and ``confirm.lua``, judging
        only): the kept iteration of ``counter``, or the first answer when it was confirmed already.

        Raises:
            DREError: the refusal as dre.store.replies.CONFIRM_REFUSALS maps it: 409
                ALREADY_CONFIRMED / STALE_ITERATION, 404 NOT_FOUND (never issued, or expired);
                503 STORE_UNAVAILABLE.
        """
        return _confirmable(await self._seal(tenant, txn_id, counter, 0), txn_id, counter)

    async def _seal(self, tenant: str, txn_id: str, counter: int, ttl_ms: int,
                    job: tuple[str, str, int] | None = None, tk: Sequence[str] | None = None) -> list:
        """txn_seal.lua's verdict (sealing unless ``ttl_ms`` is 0, and then writing ``job`` -
        (id, payload, now) - HELD, and queueing it in the same round trip: see :meth:`confirm`).
        Its refusals of the counter (stale, never issued, expired, confirmed with this very
        counter) give way to an earlier confirm known only in the tenant's slot (confirm.lua
        judging): its answer copy is gone, the worker died before settling; that judge answers
        the replay. ``tk``: keys.txn_confirm_keys of the call, if the caller has them."""
        counter_key, iterations, seal, answer, _, job_key, done = tk or keys.txn_confirm_keys(tenant, txn_id, counter)
        k = [counter_key, iterations, seal, answer, done]
        args: list[object] = [txn_id, counter, ttl_ms]
        if ttl_ms:
            assert job is not None
            k.append(job_key)
            args += [*job, _HELD_TTL_MS]
            reply, queued = await self._core.call_group((self._core.scripts.txn_seal, k, args),
                                                        enqueue_command(tenant, job[0], job[2]))
            if isinstance(reply, BaseException):  # not sealed (a 503): a retry may seal; the job
                raise reply  # worker puts a queued entry off while one can (job_start.lua), then drops it
            if reply[0] != "CONFIRMABLE":
                await self._unqueue(tenant, job[0], counter, reply, queued)
            elif isinstance(queued, BaseException):  # sealed, not queued: no commit without its job
                await self._settle(tenant, txn_id, counter, ["", ""], TXN_TTL_S, tk)
                raise queued
        else:
            reply = await self._core.call_script(self._core.scripts.txn_seal, k, args)
        if reply[0] in ("CONFIRMABLE", "REPLAYED"):
            return reply
        if reply[0] == "ALREADY_CONFIRMED" and reply[2] != str(counter):
            return reply  # another counter was confirmed
        # this counter's done marker without the answer copy (the confirming worker died before
        # settling; the job worker wrote the marker): the tenant's slot still has the first answer
        none = keys.none_key(tenant)
        k = [none, none, keys.txn_confirmed(tenant, txn_id), none]
        earlier = await self._core.call_batched(self._core.scripts.confirm, k, [txn_id, counter, "", 0, 0, ""])
        return reply if earlier[0] == "CONFIRMABLE" else earlier

    async def _unqueue(self, tenant: str, job_id: str, counter: int, verdict: list, queued: object) -> None:
        """A confirm that txn_seal.lua refused takes back its job's queue entry if it made it
        (``queued`` 1: none was there) and no confirm of this counter can ever seal: stale,
        expired, or another counter confirmed. Not after a confirm of this very counter (the
        entry may be its job's), nor for a counter not issued yet (a confirm racing its issue
        could seal it and count on the entry): the job worker drops such an entry once no seal
        can write its job (job_start.lua)."""
        refused_for_good = verdict[0] in ("STALE_ITERATION", "EXPIRED") or (
            verdict[0] == "ALREADY_CONFIRMED" and verdict[2] != str(counter))
        if queued != 1 or not refused_for_good:
            return
        try:
            await self._jobs.dequeue(tenant, job_id)
        except DREError:
            pass  # the job worker drops an entry whose job is gone and can no longer be sealed

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
        t = now if now is not None else now_ms()
        # the job's createdAt and queue time are the store's clock, not ``now`` (the confirm's time)
        tk = keys.txn_confirm_keys(tenant, txn_id, counter)  # the seal's and the settle's
        sealed = await self._seal(tenant, txn_id, counter, _SEAL_TTL_MS, (job_id, job_payload, now_ms()), tk)
        if sealed[0] != "CONFIRMABLE":  # a replay, or refused: nothing to commit, nothing sealed
            found = _confirmable(sealed, txn_id, counter)
            return ConfirmResult(found.answer, True, (), job_id, {})
        reply: list = ["", ""]
        try:
            # sealed and queued (one round trip, _seal) before the commit: a commit never lands
            # without its job (HELD until settled)
            reply = await self._commit(tenant, txn_id, counter, customer_id, promotions, coupons, answer,
                                       t, ttl_s, sale_record, returns or {})
        finally:
            await self._settle(tenant, txn_id, counter, reply, ttl_s, tk)
        if reply[0] == "CONFIRMED":
            left = {pid: int(v) for pid, v in orjson.loads(reply[2]).items()}
            return ConfirmResult(reply[1], False, tuple(reply[3:]), job_id, left)
        if reply[0] == "REPLAYED":
            return ConfirmResult(reply[1], True, (), job_id, {})
        raise confirm_refusal(reply, txn_id, counter)

    async def commit_unsealed(self, tenant: str, txn_id: str, *, promotions: Sequence[BudgetUse],
                              coupons: Sequence[CouponClaim], ttl_s: float) -> list:
        """confirm.lua alone (counter 1, no counter issued, no seal, no settle): for transactions
        no evaluate can race, the recorded baskets ``dre simulate`` replays. The same one judge
        of budgets and coupon limits as :meth:`confirm`, at one script call a transaction.
        Returns the script's reply (the verdict first; a refusal is a reply, not an exception)."""
        return await self._commit(tenant, txn_id, 1, None, promotions, coupons, "{}", now_ms(), ttl_s, "", {})

    async def commit_unsealed_batch(self, tenant: str, confirms: Sequence[Unsealed], *, ttl_s: float) -> list:
        """:meth:`commit_unsealed` of many transactions as ONE confirm.lua call in its packed
        form: the budgets' and codes' keys and limits once, then per transaction its id and its
        uses as (budget, cents) pairs and codes. Each is judged and committed on its own, in this
        order, by the same judge as a lone confirm. One reply per transaction as the script gives
        it (``['ERROR', message]``: its commit raised). What ``dre simulate`` confirms with."""
        none = keys.none_key(tenant)
        shared = [none, keys.exhausted_budgets(tenant), keys.coupon_expiry(tenant), keys.budget_remaining(tenant)]
        budget_at: dict[tuple, int] = {}  # (promotion id, limits) -> b
        code_at: dict[str, int] = {}
        budget_args: list[object] = []
        items: list[object] = []
        own: list[str] = []
        for txn_id, promotions, coupons in confirms:
            if len({p.promotion_id for p in promotions}) != len(promotions):
                raise ValueError("a promotion is listed twice: aggregate its amount first")
            if any(p.amount_cents < 0 for p in promotions):
                raise ValueError("budget amounts are >= 0 (returns do not consume budget)")
            if any(c.reservation_id for c in coupons) or len({c.code for c in coupons}) != len(coupons):
                raise ValueError("unsealed confirms claim each code once, directly (no reservation)")
            items += [txn_id, len(promotions), len(coupons)]
            for p in promotions:
                limits = (p.promotion_id, p.redemption_limit, p.amount_limit_cents, p.per_customer_limit)
                b = budget_at.get(limits)
                if b is None:
                    b = budget_at[limits] = len(budget_at) + 1
                    budget_args += limits
                items += [b, p.amount_cents]
            for c in coupons:
                if c.code not in code_at:
                    code_at[c.code] = len(code_at) + 1
                items.append(code_at[c.code])
            own += [keys.txn_confirmed(tenant, txn_id), keys.txn_sale(tenant, txn_id)]
        for (promotion_id, *_), b in budget_at.items():
            shared += [keys.budget(tenant, promotion_id), keys.budget_customers(tenant, promotion_id)]
        code_args: list[object] = []
        for code in code_at:  # a code's type never changes: known or read before the script, checked by it
            type_id = await self._code_types.of(tenant, code)
            shared += code_keys(tenant, code, type_id)
            code_args += [code, type_id]
        args = ["packed", now_ms(), ms(ttl_s), "{}", _RETURN_WINDOW_MS, len(budget_at), len(code_at),
                len(confirms), *budget_args, *code_args, *items]
        # durable: an acknowledged confirm is on a replica too, so a failover does not lose it
        replies = await self._core.call_script(self._core.scripts.confirm, shared + own, args, durable=True)
        self._forget_invalid(tenant, replies)
        return replies

    def _forget_invalid(self, tenant: str, replies: Sequence[list]) -> None:
        """A code the script found missing or of another type than the one passed is read again
        next time (the type cache's premise broke: a flushed store)."""
        for reply in replies:
            if reply[0] == "COUPON_UNAVAILABLE" and reply[2] == "INVALID":
                self._code_types.forget(tenant, reply[1])

    async def _commit(self, tenant: str, txn_id: str, counter: int, customer_id: str | None,
                      promotions: Sequence[BudgetUse], coupons: Sequence[CouponClaim], answer: str,
                      now: int, ttl_s: float, sale_record: str,
                      returns: Mapping[str, Sequence[tuple[str, int, int]]]) -> list:
        """confirm.lua in the tenant's slot: its reply (the verdict first). The sale records (this
        one's, and those of the sales its linked returns name) are tenant-slot keys: checked and
        counted in this same commit."""
        none, exhausted, expiry, remaining = _commit_keys(tenant)
        k = [none, none, keys.txn_confirmed(tenant, txn_id), none, none, none, exhausted, expiry]
        args: list[object] = [
            txn_id, counter, customer_id or "", now, ms(ttl_s),
            answer, "", "", len(promotions), len(coupons), "",
        ]
        for p in promotions:
            k += [keys.budget(tenant, p.promotion_id), keys.budget_customers(tenant, p.promotion_id)]
            args += list(p)
        for c in coupons:  # a code's type never changes: known or read before the script, checked by it
            type_id = await self._code_types.of(tenant, c.code)
            k += code_keys(tenant, c.code, type_id)
            args += [c.code, c.reservation_id, type_id]
        k += [remaining, keys.txn_sale(tenant, txn_id)]
        args += [sale_record, _RETURN_WINDOW_MS, len(returns or {})]
        for original, incs in (returns or {}).items():
            k.append(keys.txn_sale(tenant, original))
            args += [original, len(incs)]
            for inc in incs:
                args += list(inc)
        k.append(none)
        # durable: an acknowledged confirm is on a replica too, so a failover does not lose it
        # batched: the confirms of this tenant waiting in the store actor's round commit in one call
        reply = await self._core.call_batched(self._core.scripts.confirm, k, args, durable=True)
        self._forget_invalid(tenant, [reply])
        return reply

    async def _settle(self, tenant: str, txn_id: str, counter: int, reply: list, ttl_s: float,
                      tk: Sequence[str] | None = None) -> None:
        """txn_settle.lua: let go of the seal and record what the commit's ``reply`` means for the
        lane. Shielded (a cancelled confirm still lets go); a failure only leaves the seal to lapse."""
        answer = reply[1] if reply[0] in ("CONFIRMED", "REPLAYED") else ""
        refused = reply[1] if reply[0] == "BUDGET_EXHAUSTED" and reply[2] != "perCustomer" else ""
        verdict = "1" if reply[0] and not answer else ""  # a refusal: the HELD job goes
        k = list(tk or keys.txn_confirm_keys(tenant, txn_id, counter))  # txn_settle.lua's seven keys, in order
        # No cancel scope (a shield and a timeout cost ~15 % of a confirm's client CPU): the call is
        # in the store actor's mailbox before this task's first checkpoint, so it runs even when
        # the caller is cancelled (only its reply is dropped); the actor's call deadline bounds it.
        # (Only with the mailbox full can a cancelled caller's settle go unsent: the seal then
        # lapses and the job worker resolves the HELD job, as after a crash.)
        try:
            settled = await self._core.call_script(self._core.scripts.txn_settle, k,
                                                   [counter, ms(ttl_s), answer, refused, verdict,
                                                    _DONE_MARKER_TTL_MS])
            if settled == 2:  # the refused confirm's job was dropped: so is its queue entry (a
                # cancelled caller leaves the entry: the job worker drops an entry whose job is gone)
                await self._jobs.dequeue(tenant, keys.job_id(txn_id, counter))
        except DREError:
            pass  # the store is down: the seal lapses after SEAL_TTL_S

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
        return await read_confirmed(self._core, tenant, txn_id)


@functools.lru_cache(maxsize=1024)
def _commit_keys(tenant: str) -> tuple[str, str, str, str]:
    """The tenant-wide keys every commit names (never-written, exhausted set, coupon expiry,
    budget remaining): built once per tenant, not by every confirm."""
    return (keys.none_key(tenant), keys.exhausted_budgets(tenant), keys.coupon_expiry(tenant),
            keys.budget_remaining(tenant))


Unsealed = tuple[str, Sequence[BudgetUse], Sequence[CouponClaim]]  # (transactionId, budget uses, coupon claims)


def _confirmable(reply: list, txn_id: str, counter: int) -> Confirmable:
    """The judgement of txn_seal.lua / confirm.lua (judging): the iteration, a replay's first
    answer, or the refusal raised."""
    if reply[0] == "CONFIRMABLE":
        return Confirmable(reply[1], None)
    if reply[0] == "REPLAYED":
        return Confirmable(None, reply[1])
    raise confirm_refusal(reply, txn_id, counter)
