"""Coupon calls a local instance answers itself while central is away are queued in the same
step and made at central when it answers, in order, each once (docs/local-store.md "Coupon
calls made while central was away").

Two apps in this process, each on its own database of the session's real Redis: a local instance
whose central is unreachable (nothing listens at its URL), and a central one; the forwarder is
given a link to the central app (``Central``), so that what it makes there is judged by central's
own routes and scripts."""
from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
import orjson
import pytest
import trio

from actors.sync import CouponOutbox, Outbox, SyncState
from actors.sync.coupon_calls import idempotency_key
from actors.sync.forwarder import Forwarder
from api.app import create_app
from api.worker import open_services
from dre.errors import DREError
from dre.store.records import now_ms
from dre.wire.coupon_type import CouponTypeIn
from tests.api.conftest import (
    ADMIN_KEY,
    JSON_ADMIN_AUTH,
    JSON_AUTH,
    TENANT,
    make_config,
)

AWAY = "http://127.0.0.1:9"  # nothing listens there: central is away
ACC = {"id": "ACC", "type": "INDIVIDUAL", "offlinePolicy": "ACCEPT"}


@asynccontextmanager
async def serving(services):
    app = create_app(services)
    async with app.test_app() as test_app:
        yield test_app.test_client()


class Central:
    """A link to the central app (as ``CentralLink`` with the instance's admin key); ``lose``
    answers are lost after central made the call (the forwarder then sees central away)."""

    def __init__(self, client) -> None:
        self.client = client
        self.calls: list[tuple[str, dict]] = []
        self.lose = 0

    async def relay(self, path: str, content: bytes, headers: dict) -> httpx.Response:
        r = await self.client.post(path, data=content, headers={**headers, "Authorization": f"Bearer {ADMIN_KEY}"})
        self.calls.append((path, orjson.loads(content)))
        if self.lose:
            self.lose -= 1
            raise DREError(503, "CENTRAL_UNAVAILABLE", "the answer was lost")
        return httpx.Response(r.status_code, content=await r.get_data(), headers=dict(r.headers))


@pytest.fixture
async def both(redis_url):
    """(local instance services, its client, central services, its client), ACC codes on both."""
    central_url = redis_url.rsplit("/", 1)[0] + "/1"
    local_config = make_config(DRE_MODE="local", DRE_CENTRAL_URL=AWAY, DRE_CENTRAL_KEY=ADMIN_KEY)
    async with open_services(make_config(), central_url, warm_up=False) as central, \
            open_services(local_config, redis_url, warm_up=False) as local, \
            serving(central) as central_http, serving(local) as local_http:
        r = await central_http.post("/admin/coupon-types", data=orjson.dumps(ACC), headers=JSON_ADMIN_AUTH)
        assert r.status_code == 201, await r.get_data()
        await local.store.coupon_types.put_validated(TENANT, CouponTypeIn.model_validate(ACC), create_only=False)
        yield local, local_http, central, central_http


async def codes(central, central_http, local, n: int) -> list[str]:
    """``n`` new ACC codes at central, synced down to the instance as the feed would."""
    r = await central_http.post("/admin/coupon-types/ACC/generate", data=orjson.dumps({"count": n}),
                                headers=JSON_ADMIN_AUTH)
    made = orjson.loads(await r.get_data())["codes"]
    await SyncState(local.store.core).put_codes(TENANT, [await central.store.coupons.get(TENANT, c) for c in made])
    return made


async def call(http, op: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    r = await http.post(f"/pos/coupons/{op}", data=orjson.dumps(body), headers=headers or JSON_AUTH)
    return r.status_code, orjson.loads(await r.get_data())


def forwarder(local, central_http) -> tuple[Forwarder, Central]:
    link = Central(central_http)
    core = local.store.core
    return Forwarder(Outbox(core), link, TENANT, "inst-1", coupons=CouponOutbox(core)), link  # type: ignore[arg-type]


async def status_at(services, code: str) -> str:
    return (await services.store.coupons.get(TENANT, code))["status"]


async def test_a_code_reserved_and_redeemed_while_central_was_away_is_redeemed_at_central_once(both):
    local, local_http, central, central_http = both
    [code] = await codes(central, central_http, local, 1)
    status, reserved = await call(local_http, "reserve", {"code": code, "transactionId": "T1"})
    assert status == 200, reserved
    assert await call(local_http, "reserve", {"code": code, "transactionId": "T1"}) == (200, reserved)  # a retry
    status, redeemed = await call(local_http, "redeem", {"reservationId": reserved["reservationId"]})
    assert (status, redeemed["status"]) == (200, "REDEEMED"), redeemed
    hb = orjson.loads(await (await local_http.get("/pos/heartbeat", headers=JSON_AUTH)).get_data())
    assert (hb["btpConnectivity"], hb["pendingCouponCalls"]) == ("DISCONNECTED", 2), hb  # the retry queued nothing
    assert await status_at(central, code) == "ACTIVE"  # central does not know yet

    fwd, link = forwarder(local, central_http)
    assert await fwd.forward_coupons_once() == 1  # the reservation, made at central
    link.lose = 1  # central redeems, the answer is lost: still pending, sent again
    with pytest.raises(DREError):
        await fwd.forward_coupons_once()
    assert await CouponOutbox(local.store.core).pending(TENANT) == 1
    assert [await fwd.forward_coupons_once() for _ in range(2)] == [1, 0]
    verdicts = await CouponOutbox(local.store.core).verdicts(TENANT)
    rid = reserved["reservationId"]
    assert {k: (v["status"], v["httpStatus"]) for k, v in verdicts.items()} == {
        f"reserve/{rid}": ("ACCEPTED", 200), f"redeem/{rid}": ("ACCEPTED", 200)}
    central_rid = verdicts[f"reserve/{rid}"]["reservationId"]
    assert [c for _, c in link.calls] == [{"code": code, "transactionId": "T1"}, *[{"reservationId": central_rid}] * 2]
    fields = await central.store.coupons.get(TENANT, code)
    assert (fields["status"], fields["redeemedBy"]) == ("REDEEMED", "T1"), fields
    # sent once more (a crash before settling): central answers it as a replay, changes nothing
    again = await link.relay("/pos/coupons/redeem", orjson.dumps({"reservationId": central_rid}),
                             {"Content-Type": "application/json",
                              "Idempotency-Key": idempotency_key("inst-1", f"redeem/{rid}")})
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (200, "true")
    assert await central.store.coupons.get(TENANT, code) == fields
    status, body = await call(central_http, "reserve", {"code": code, "transactionId": "T9"})
    assert (status, body["error"]["details"][0]["issue"]) == (409, "ALREADY_REDEEMED")
    assert await CouponOutbox(central.store.core).pending(TENANT) == 0  # central queues nothing of its own


async def test_refused_lapsed_cancelled_and_voided_calls_settle_as_central_would_have_them(both):
    local, local_http, central, central_http = both
    taken, lapsed, cancelled, voided = await codes(central, central_http, local, 4)
    # meanwhile at central: `taken` is redeemed by another store's lane
    _, held = await call(central_http, "reserve", {"code": taken, "transactionId": "ELSEWHERE"})
    assert (await call(central_http, "redeem", {"reservationId": held["reservationId"]}))[0] == 200
    # here, central away: each code used
    _, mine = await call(local_http, "reserve", {"code": taken, "transactionId": "T1"})
    assert (await call(local_http, "redeem", {"reservationId": mine["reservationId"]}))[0] == 200
    old = await local.store.coupons.reserve(TENANT, lapsed, "T2", now=now_ms() - 16 * 60_000, queue=True)
    _, kept = await call(local_http, "reserve", {"code": cancelled, "transactionId": "T3"})
    assert await call(local_http, "cancel", {"reservationId": kept["reservationId"]}) == (
        200, {"reservationId": kept["reservationId"], "status": "CANCELLED"})
    assert (await call(local_http, "cancel", {"reservationId": kept["reservationId"]}))[0] == 200  # idempotent
    assert (await call(local_http, "void", {"code": voided}, JSON_ADMIN_AUTH))[0] == 200
    outbox = CouponOutbox(local.store.core)
    assert await outbox.pending(TENANT) == 6

    fwd, link = forwarder(local, central_http)
    assert [await fwd.forward_coupons_once() for _ in range(7)] == [1] * 6 + [0]
    verdicts = await outbox.verdicts(TENANT)
    got = {k.split("/")[0] + ":" + code: verdicts[k]["status"] for k, code in (
        (f"reserve/{mine['reservationId']}", taken), (f"redeem/{mine['reservationId']}", taken),
        (f"reserve/{old.reservation_id}", lapsed),
        (f"reserve/{kept['reservationId']}", cancelled), (f"cancel/{kept['reservationId']}", cancelled),
        (f"void/{voided}", voided))}
    assert got == {f"reserve:{taken}": "REFUSED", f"redeem:{taken}": "REFUSED", f"reserve:{lapsed}": "LAPSED",
                   f"reserve:{cancelled}": "ACCEPTED", f"cancel:{cancelled}": "ACCEPTED", f"void:{voided}": "ACCEPTED"}
    refused = verdicts[f"reserve/{mine['reservationId']}"]  # kept with central's answer
    assert (refused["httpStatus"], refused["answer"]["error"]["details"][0]["issue"]) == (409, "ALREADY_REDEEMED")
    assert [p for p, _ in link.calls] == ["/pos/coupons/reserve", "/pos/coupons/reserve", "/pos/coupons/cancel",
                                          "/pos/coupons/void"]  # nothing sent for the refused or lapsed ones
    assert [await status_at(central, c) for c in (taken, lapsed, cancelled, voided)] == [
        "REDEEMED", "ACTIVE", "ACTIVE", "CANCELLED"]
    assert (await central.store.coupons.get(TENANT, taken))["redeemedBy"] == "ELSEWHERE"


async def test_coupon_calls_reach_central_before_the_transactions_queued_after_them(both):
    """A confirm queued after a reservation may use it: the forwarder makes the coupon calls first."""
    local, local_http, central, central_http = both
    [code] = await codes(central, central_http, local, 1)
    assert (await call(local_http, "reserve", {"code": code, "transactionId": "T1"}))[0] == 200
    await Outbox(local.store.core).add(TENANT, "T1/1", {"transactionId": "T1"})
    sent: list[str] = []

    class Link(Central):
        async def relay(self, path, content, headers):
            sent.append(path)
            return await super().relay(path, content, headers)

        async def post(self, path, body):
            sent.append(path)
            return {"results": [{"status": "ACCEPTED", "conflicts": []}]}

    core = local.store.core
    link = Link(central_http)
    fwd = Forwarder(Outbox(core), link, TENANT, "inst-1", coupons=CouponOutbox(core))  # type: ignore[arg-type]
    async with trio.open_nursery() as nursery:
        await nursery.start(fwd.run)
        with trio.fail_after(10):
            while len(sent) < 2:
                await trio.sleep(0.05)
        await fwd.aclose()
    assert sent == ["/pos/coupons/reserve", "/admin/sync/transactions"]
    assert await status_at(central, code) == "RESERVED"



async def test_a_call_central_is_still_making_stays_queued(both):
    """Sent again while central still runs the first (its answer was slow): 409 IN_PROGRESS is no
    verdict; the call waits and is sent again."""
    local, local_http, central, central_http = both
    [code] = await codes(central, central_http, local, 1)
    assert (await call(local_http, "reserve", {"code": code, "transactionId": "T1"}))[0] == 200

    class Busy:
        async def relay(self, path, content, headers):
            return httpx.Response(409, content=orjson.dumps({"error": {"code": "IN_PROGRESS", "message": "busy"}}))

    core = local.store.core
    fwd = Forwarder(Outbox(core), Busy(), TENANT, "inst-1", coupons=CouponOutbox(core))  # type: ignore[arg-type]
    with pytest.raises(DREError):
        await fwd.forward_coupons_once()
    assert await CouponOutbox(core).pending(TENANT) == 1 and await CouponOutbox(core).verdicts(TENANT) == {}
