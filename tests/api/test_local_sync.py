"""api.local.sync: what a local instance stores of central's feed - central's promotions, each
budget limited to the instance's lease, and its store settings (time zones) - on a real store."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace

import httpx
import orjson
import trio

from actors.sync import CentralLink, CouponOutbox, Outbox
from api.local.instance import LocalInstance
from api.local.sync import apply_leases, apply_rules, apply_store_settings, leased
from tests.api.conftest import TENANT, post
from tests.api.flows import evaluate, item, load

HUNDRED = {"id": "H", "name": "1.00 off, budget 100.00", "type": "ARTICLE", "status": "ACTIVE",
           "budget": {"amount": 100.0, "perCustomerRedemptions": 1},
           "actions": [{"type": "ARTICLE", "values": ["A"], "amountOff": 1.0}]}
PLAIN = {"id": "P", "name": "no budget", "type": "ARTICLE", "status": "ACTIVE",
         "actions": [{"type": "ARTICLE", "values": ["A"], "amountOff": 1.0}]}


def test_leased_replaces_the_limits_it_leases_and_keeps_the_rest():
    assert leased(HUNDRED, {"amount": 10.0, "redemptions": None})["budget"] == {"amount": 10.0,
                                                                               "perCustomerRedemptions": 1}
    assert leased(HUNDRED, None) is HUNDRED and leased(PLAIN, {"amount": 1.0, "redemptions": None}) is PLAIN
    nothing = leased(HUNDRED, {"amount": 0.0, "redemptions": None})  # no valid budget: not sold here
    assert nothing["status"] == "INACTIVE" and nothing["budget"] == HUNDRED["budget"]


async def test_rules_and_renewed_leases_are_stored_and_priced(services):
    store = services.store

    async def stored() -> dict:
        return {k: orjson.loads(v) for k, v in (await store.promotions.all(TENANT)).items()}

    await apply_rules(store, TENANT, [HUNDRED, PLAIN], [], {"H": {"amount": 10.0, "redemptions": None}})
    docs = await stored()
    assert set(docs) == {"H", "P"} and docs["H"]["budget"]["amount"] == 10.0 and docs["P"] == PLAIN
    version = await store.promotions.version(TENANT)
    await apply_leases(store, TENANT, {"H": {"amount": 10.0, "redemptions": None}})
    assert await store.promotions.version(TENANT) == version  # unchanged: not written again
    await apply_leases(store, TENANT, {"H": {"amount": 0.0, "redemptions": None}})
    assert (await stored())["H"]["status"] == "INACTIVE"
    await apply_leases(store, TENANT, {"H": {"amount": 20.0, "redemptions": None}})
    docs = await stored()
    assert (docs["H"]["status"], docs["H"]["budget"]["amount"]) == ("ACTIVE", 20.0)
    await apply_rules(store, TENANT, [PLAIN], [], {})  # central deleted H
    assert set(await stored()) == {"P"}


async def test_central_store_settings_are_stored_and_become_the_engines_zones(services):
    store = services.store
    berlin = {"stores": {"BER1": {"timeZone": "Europe/Berlin"}, "NYC1": {"timeZone": "America/New_York"}},
              "default": {"timeZone": "UTC"}}
    await apply_store_settings(store, TENANT, berlin)
    await services.reloader.refresh(TENANT)
    zones = services.engine.zones(TENANT)
    assert [str(zones.zone(s)) for s in ("BER1", "NYC1", "OTHER")] == ["Europe/Berlin", "America/New_York", "UTC"]
    version = await store.promotions.version(TENANT)
    await apply_store_settings(store, TENANT, berlin)
    assert await store.promotions.version(TENANT) == version  # unchanged: not written again

    await apply_store_settings(store, TENANT, {"stores": {"BER1": {"timeZone": "Europe/Berlin"}}, "default": None})
    await services.reloader.refresh(TENANT)
    zones = services.engine.zones(TENANT)  # central forgot NYC1 and the default
    assert (str(zones.zone("BER1")), zones.zone("NYC1"), zones.zone(None)) == ("Europe/Berlin", None, None)
    assert await store.stores.all(TENANT) == {"BER1": orjson.dumps({"timeZone": "Europe/Berlin"}).decode()}


async def test_synced_codes_are_written_unless_this_store_used_them_first(services):
    """A code the store redeemed (a sale central does not know of yet), or voided, keeps its local
    state while central still says it is usable; central's final state wins."""
    from actors.sync import SyncState
    from dre.store import keys

    state, core = SyncState(services.store.core), services.store.core

    def code(name: str, status: str) -> dict:
        return {"code": name, "status": status, "kind": "INDIVIDUAL", "typeId": "IND", "uses": "0"}

    assert await state.put_codes(TENANT, [code("C1", "ACTIVE"), code("C2", "ACTIVE")]) == 2
    await core.call(lambda p: p.hset(keys.coupon(TENANT, "C1"), "status", "REDEEMED"))  # sold here
    assert await state.put_codes(TENANT, [code("C1", "ACTIVE"), code("C2", "CREATED")]) == 1
    assert (await services.store.coupons.get(TENANT, "C1"))["status"] == "REDEEMED"
    assert (await services.store.coupons.get(TENANT, "C2"))["status"] == "CREATED"
    assert await state.put_codes(TENANT, [code("C1", "CANCELLED")]) == 1  # voided at central: final
    assert (await services.store.coupons.get(TENANT, "C1"))["status"] == "CANCELLED"
    await core.call(lambda p: p.hset(keys.coupon(TENANT, "C2"), "status", "CANCELLED"))  # voided here
    assert await state.put_codes(TENANT, [code("C2", "ACTIVE")]) == 0  # central has not heard of it yet
    assert (await services.store.coupons.get(TENANT, "C2"))["status"] == "CANCELLED"


async def test_releasing_a_lease_counts_its_unused_rest_as_consumed_and_keeps_it_pending(services):
    """What is given back can no longer be sold here, whatever was priced before: the confirms'
    own budget counters count it; the return waits until central took it back."""
    from actors.sync import LeaseReturns
    from dre.store import keys

    returns, core = LeaseReturns(services.store.core), services.store.core
    await returns.keep(TENANT, {"H": {"amount": 10.0, "redemptions": None}})
    await core.call(lambda p: p.hset(keys.budget(TENANT, "H"), "amount_consumed", 300))  # sold 3.00
    assert await returns.release_all(TENANT) == 1
    [pending] = await returns.pending(TENANT)
    assert (pending["promotionId"], pending["amount"], pending["redemptions"]) == ("H", 700, 0)
    assert (await services.store.budgets.get(TENANT, "H")).amount_consumed_cents == 1000
    assert "H" in await services.store.budgets.exhausted(TENANT)
    assert await returns.release_all(TENANT) == 0  # nothing left to give back
    await returns.settle(TENANT, [pending["returnId"]])
    assert await returns.pending(TENANT) == []


async def test_a_code_reserved_at_central_is_usable_here_by_the_transaction_that_holds_it(services):
    import orjson as json

    from actors.sync import SyncState

    expires = 4_000_000_000_000
    entry = json.dumps({"rid": "R1", "expiresAt": expires, "customerId": "", "state": "RESERVED"}).decode()
    fields = {"code": "C9", "status": "RESERVED", "kind": "INDIVIDUAL", "typeId": "IND", "uses": "0",
              "reservationId": "R1", "reservedTxn": "T1", "reservedUntil": str(expires), "heldEntry": entry}
    assert await SyncState(services.store.core).put_codes(TENANT, [fields]) == 1
    coupons = services.store.coupons
    assert "heldEntry" not in await coupons.get(TENANT, "C9")
    assert (await coupons.validate(TENANT, "C9", transaction_id="T1")).valid
    other = await coupons.validate(TENANT, "C9", transaction_id="T2")
    assert (other.valid, other.reason) == (False, "RESERVED_ELSEWHERE")


async def test_a_code_reserved_at_a_central_of_this_release_carries_its_reservation_in_its_fields(services):
    """Central of this release sends the holder's customer in ``reservedFor`` (and the entry as
    well, for stores of older releases): the code's fields are the reservation here, no entry is
    written. A reservation recorded in a code here (held, or redeemed through) that central's
    final state overwrites keeps its holder's entry."""
    import orjson as json

    from actors.sync import SyncState
    from dre.store import keys

    expires = 4_000_000_000_000
    entry = json.dumps({"rid": "R1", "expiresAt": expires, "customerId": "K1", "state": "RESERVED"}).decode()
    fields = {"code": "C9", "status": "RESERVED", "kind": "INDIVIDUAL", "typeId": "IND", "uses": "0",
              "reservationId": "R1", "reservedTxn": "T1", "reservedUntil": str(expires), "reservedFor": "K1",
              "heldEntry": entry}
    sync, coupons, client = SyncState(services.store.core), services.store.coupons, services.store.core.client
    assert await sync.put_codes(TENANT, [fields]) == 1
    assert not client.exists(keys.coupon_by_txn(TENANT, "C9"))
    assert (await coupons.validate(TENANT, "C9", transaction_id="T1", customer_id="K1")).valid
    assert (await coupons.validate(TENANT, "C9", transaction_id="T2")).reason == "RESERVED_ELSEWHERE"

    active = {"code": "C8", "status": "ACTIVE", "kind": "INDIVIDUAL", "typeId": "IND", "uses": "0"}
    assert await sync.put_codes(TENANT, [active]) == 1
    mine = await coupons.reserve(TENANT, "C8", "T8", customer_id="K8")
    assert await sync.put_codes(TENANT, [{**active, "status": "REDEEMED"}]) == 1  # central's final state wins
    assert client.hget(keys.coupon_by_txn(TENANT, "C8"), "T8") == f"RESERVED|{mine.expires_at_ms}|{mine.reservation_id}|K8"

    assert await sync.put_codes(TENANT, [{**active, "code": "C7"}]) == 1
    used = await coupons.reserve(TENANT, "C7", "T7", customer_id="K7")
    await coupons.redeem(TENANT, used.reservation_id)
    assert await sync.put_codes(TENANT, [{**active, "code": "C7", "status": "CANCELLED"}]) == 1
    assert client.hget(keys.coupon_by_txn(TENANT, "C7"), "T7") == f"REDEEMED|{used.expires_at_ms}|{used.reservation_id}|K7"


async def test_a_lease_past_its_expiry_sells_nothing_more_here_with_central_away_until_renewed(client, services):
    """No central at all: the instance stops selling from a lease by its own clock, a margin
    before the expiry, even an iteration priced before; a renewal lets it sell again."""
    from actors.sync import LeaseReturns
    from actors.sync.lease_returns import SKEW_MARGIN_S
    from tests.api.flows import confirm, evaluate, item

    store, returns = services.store, LeaseReturns(services.store.core)
    budgeted = {**HUNDRED, "budget": {"amount": 100.0}}
    expires = 1_900_000_000_000
    lease = {"H": {"amount": 10.0, "redemptions": None, "expiresAt": expires}}
    await apply_rules(store, TENANT, [budgeted], [], lease)
    await returns.keep(TENANT, lease)
    await services.reloader.refresh(TENANT)

    async def sells(txn: str) -> bool:
        body = await evaluate(client, txn, [item("1", "A", 1, 5.0)], customer=None)
        return any(d["promotionId"] == "H" for d in body["lineItems"][0]["discounts"])

    assert await sells("T1") and (await confirm(client, "T1", 1))[0] == 200
    assert await sells("T2")  # priced before the expiry
    margin = int(SKEW_MARGIN_S * 1000)
    assert await returns.release_expired(TENANT, expires - margin - 1) == 0  # not yet
    assert await returns.release_expired(TENANT, expires - margin) == 1
    status, body, _ = await confirm(client, "T2", 1)
    assert (status, body["error"]["code"]) == (409, "BUDGET_EXHAUSTED")
    services.budgets.invalidate(TENANT)  # evaluate's view of used-up budgets is up to a second old
    assert not await sells("T3")
    [pending] = await returns.pending(TENANT)  # given back when central answers
    assert (pending["promotionId"], pending["amount"]) == ("H", 900)
    # online again: the pull renews the lease (a share more, a later expiry)
    renewed = {"H": {"amount": 20.0, "redemptions": None, "expiresAt": expires + 86_400_000}}
    await returns.keep(TENANT, renewed)
    await apply_leases(store, TENANT, renewed)
    await services.reloader.refresh(TENANT)
    assert await returns.release_expired(TENANT, expires) == 0
    services.budgets.invalidate(TENANT)
    assert await sells("T4") and (await confirm(client, "T4", 1))[0] == 200


async def test_the_syncer_releases_an_expired_lease_while_central_is_away(services):
    """The syncer's loop checks the expiry every poll, before (and whatever becomes of) the pull."""
    import trio

    from actors.sync import LeaseReturns
    from api.local.sync import Syncer
    from dre.errors import DREError
    from dre.store.records import now_ms

    class Away:  # central unreachable: every call a 503, as CentralLink raises then
        async def get(self, path, params=None):
            raise DREError(503, "CENTRAL_UNAVAILABLE", "central is away")

        post = get

    returns = LeaseReturns(services.store.core)
    await returns.keep(TENANT, {"H": {"amount": 10.0, "redemptions": None, "expiresAt": now_ms() + 1000}})
    async with trio.open_nursery() as nursery:
        syncer = await nursery.start(Syncer(services.store, Away(), TENANT, "inst", poll_s=0.05).run)
        with trio.fail_after(5):
            while not await returns.pending(TENANT):
                await trio.sleep(0.05)
        await syncer.aclose()
    [pending] = await returns.pending(TENANT)
    assert (pending["promotionId"], pending["amount"]) == ("H", 1000)


class Central:
    """Central's side of the link, as HTTP answers (httpx.MockTransport): ``answer(item)`` gives
    (status, body), or raises httpx.ConnectError for central away. Records what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.refusal: dict | None = None
        self.away = False
        self.leased: list[str] = []  # the verdict's leasedPromotions: taken from this store's lease

    def __call__(self, request: httpx.Request) -> httpx.Response:
        item = orjson.loads(request.content)
        self.sent.append((request.url.path, item))
        if self.away:
            raise httpx.ConnectError("central stopped", request=request)
        if self.refusal is not None:
            return httpx.Response(409, json=self.refusal)
        return httpx.Response(200, json={"transactionId": item["transactionId"], "status": "ACCEPTED",
                                         "transactionCounter": item["transactionCounter"], "conflicts": [],
                                         "leasedPromotions": self.leased})


async def test_a_confirm_here_is_judged_by_central_first_and_committed_here_as_accepted(client, services):
    """Online: central's verdict first. Accepted: committed here, settled (never queued, not
    pending), counting in this store's lease exactly the sales central took from it; refused:
    central's 409 and nothing committed; central away: committed here and pending, as before,
    and so is a confirm while others are pending (it does not overtake them)."""
    one = {"id": "ONE", "name": "1.00 off, one redemption (the store's lease)", "type": "ARTICLE",
           "budget": {"redemptions": 1}, "actions": [{"type": "ARTICLE", "values": ["A"], "amountOff": 1.00}]}
    await load(services, [one])
    central = Central()
    async with local_instance(services, central):
        outbox = Outbox(services.store.core)
        for txn in ("T1", "T2", "T2b", "T3"):  # all priced while the lease has room
            assert (await evaluate(client, txn, [item("1", "A", 1, 5.0)]))["totals"]["discount"] == 1.0

        async def used() -> int:
            return (await services.store.budgets.get(TENANT, "ONE")).redemptions_consumed

        central.leased = ["ONE"]  # taken from the lease at central: counted in the lease here too
        assert (await post(client, "/pos/v2/confirm", confirm_body("T1")))[0] == 200
        path, sent = central.sent[-1]
        assert (path, sent["transactionId"], sent["instanceId"]) == ("/admin/sync/confirm", "T1", "store-1")
        assert sent["iteration"]["applied"][0]["promotionId"] == "ONE"
        assert await used() == 1
        assert "ONE" in await services.store.budgets.exhausted(TENANT)  # the lease used up here, as offline
        # past the lease, central's budget paid for T2: nothing counted in the lease here
        central.leased = []
        status, body, _ = await post(client, "/pos/v2/confirm", confirm_body("T2"))
        assert status == 200 and body["status"] == "CONFIRMED", body
        assert await used() == 1
        # central's copy of the lease had room (a renewal not pulled yet): counted here as judged there
        central.leased = ["ONE"]
        assert (await post(client, "/pos/v2/confirm", confirm_body("T2b")))[0] == 200
        assert await used() == 2 and "ONE" in await services.store.budgets.exhausted(TENANT)
        assert await outbox.pending(TENANT) == 0 and await outbox.length(TENANT) == 0
        assert set(await outbox.verdicts(TENANT)) == {"T1/1", "T2/1", "T2b/1"}

        central.refusal = {"error": {"code": "COUPON_UNAVAILABLE", "message": "coupon X: ALREADY_REDEEMED",
                                     "details": [{"path": "X", "issue": "ALREADY_REDEEMED"}]}}
        status, body, _ = await post(client, "/pos/v2/confirm", confirm_body("T3"))
        assert (status, body) == (409, central.refusal)  # central's answer is the lane's
        assert await services.store.transactions.confirmed(TENANT, "T3") is None  # nothing committed here

        central.refusal, central.away = None, True  # central away: committed here, queued as before
        await evaluate(client, "T4", [item("1", "Z", 1, 5.0)])
        assert (await post(client, "/pos/v2/confirm", confirm_body("T4")))[0] == 200
        assert await services.store.transactions.confirmed(TENANT, "T4") is not None
        assert await outbox.pending(TENANT) == 1  # its side-effects job (the outbox's way in) waits
        # central back, T4 not forwarded yet: T5 is not sent ahead of it, but queued behind it
        central.away, before = False, len(central.sent)
        await evaluate(client, "T5", [item("1", "Z", 1, 5.0)])
        assert (await post(client, "/pos/v2/confirm", confirm_body("T5")))[0] == 200
        assert len(central.sent) == before and await outbox.pending(TENANT) == 2


async def test_a_confirm_is_not_sent_to_central_ahead_of_coupon_calls_still_queued(client, services):
    central = Central()
    async with local_instance(services, central):
        # a reservation made here while central was away, not yet made at central
        await CouponOutbox(services.store.core).add(TENANT, "call-1", {"path": "/pos/coupons/reserve"})
        await evaluate(client, "T1", [item("1", "Z", 1, 5.0)])
        assert (await post(client, "/pos/v2/confirm", confirm_body("T1")))[0] == 200
        assert central.sent == [] and await Outbox(services.store.core).pending(TENANT) == 1  # queued behind it


@asynccontextmanager
async def local_instance(services, central: Central) -> AsyncIterator[LocalInstance]:
    """``services`` as a local instance whose link reaches ``central`` (its tasks do not run)."""
    async with httpx.AsyncClient(base_url="http://central", transport=httpx.MockTransport(central)) as http:
        services.local = LocalInstance(TENANT, services.store, CentralLink(http), None,  # type: ignore[arg-type]
                                       SimpleNamespace(instance="store-1"), trio.CancelScope(), trio.Event())
        try:
            yield services.local
        finally:
            services.local = None  # its tasks never ran: nothing for the worker's shutdown to stop


def confirm_body(txn: str) -> dict:
    return {"request": {"header": {"transactionId": txn, "transactionCounter": 1}}}
