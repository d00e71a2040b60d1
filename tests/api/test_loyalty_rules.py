"""The loyalty POS event's rules beyond the happy path, through HTTP on a real Redis: rewards'
integer promotionId and face value, the maintenance toggle (statusCode 5), a downstream refusal
(1), form bodies with ASP.NET names, a replay with another bill, the nativeDiscounts cap, and
points priced on the engine's lanes rather than on the event loop."""
from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

import orjson
import trio

import dre.loyalty.points
from dre.store import keys
from tests.api.conftest import ADMIN_AUTH, KEY, OTHER_KEY, TENANT
from tests.api.conftest import JSON_AUTH as POS_JSON
from tests.api.flows import load

PATH = "/posSupportAPI/loyalty/posevent"
JSON = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
FORM = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/x-www-form-urlencoded"}
MEMBER = "M1"
MAINTENANCE = "/admin/loyalty/maintenance"

POINTS = {"id": "PTS", "name": "1 point per 1.00", "type": "LOYALTY",
          "actions": [{"type": "CURRENCY_TO_POINTS", "points": 1, "per": 1.0}]}


def event(check: int = 1, lines: list[tuple[int, float, float]] | None = None, natives: list[str] = ()) -> dict:
    """A POS event body of (itemId, quantity, amount) lines."""
    items = [{"itemId": i, "quantity": q, "amount": a} for i, q, a in (lines or [(100, 1, 10.0), (101, 2, 5.0)])]
    return {"loyalty": {"loyaltyNumber": MEMBER},
            "bill": {"checkNumber": check, "transactionDateTime": "2026-11-27T10:15:00+01:00",
                     "businessDate": "2026-11-27T00:00:00", "total": sum(i["amount"] for i in items),
                     "billLineItems": items},
            "nativeDiscounts": [{"couponSourceCode": c} for c in natives]}


async def send(client, body: dict | bytes, headers: dict = JSON):
    data = orjson.dumps(body) if isinstance(body, dict) else body
    r = await client.post(PATH, data=data, headers=headers)
    raw = await r.get_data()
    return r.status_code, (orjson.loads(raw) if "json" in r.headers["Content-Type"] else raw), r


async def member_code(services, type_id: str, promotion_id: str) -> str:
    """An ACTIVE code of a new coupon type for ``promotion_id``, issued to MEMBER."""
    store = services.store
    await store.coupon_types.put(TENANT, type_id, kind="INDIVIDUAL", prefix=type_id, promotion_ids=[promotion_id])
    code = (await store.coupons.issue(TENANT, type_id, [MEMBER]))[0].code
    await store.coupons.activate(TENANT, code, MEMBER)
    return code


# ---- rewards ------------------------------------------------------------------------------


async def test_rewards_carry_the_promotion_id_and_its_face_value(client, services):
    from dre.loyalty.rewards import promotion_number

    await load(services, [
        POINTS,
        {"id": "4711", "name": "2.00 off", "type": "COUPON",
         "actions": [{"type": "RECEIPT", "amountOff": 2.0}]},
        {"id": "BIRTHDAY-10", "name": "10 % off your birthday basket", "type": "COUPON",
         "actions": [{"type": "RECEIPT", "percentOff": 10}]},
        {"id": "BONUS", "name": "100 bonus points", "type": "LOYALTY",
         "actions": [{"type": "ADD_FIXED", "points": 100}]},
    ])
    codes = {pid: await member_code(services, t, pid) for t, pid in (("N", "4711"), ("B", "BIRTHDAY-10"),
                                                                    ("X", "BONUS"))}
    status, body, _ = await send(client, event())
    assert status == 200
    rewards = {r["promotionCode"]: r for r in body["rewards"]}
    numeric = rewards[codes["4711"]]
    assert (numeric["promotionId"], numeric["promotionValue"], numeric["promotionPublicDescription"]) == \
        (4711, 2.0, "2.00 off")
    assert "promotionKey" not in numeric  # the id is the promotionId: exactly the seed's fields
    named = rewards[codes["BIRTHDAY-10"]]
    assert named["promotionId"] == promotion_number("BIRTHDAY-10") < 0  # a stable alias, never a numeric id
    assert named["promotionKey"] == "BIRTHDAY-10"
    assert (named["promotionValue"], named["promotionPublicDescription"]) == (10.0, "10% off")
    bonus = rewards[codes["BONUS"]]
    assert (bonus["promotionValue"], bonus["promotionPublicDescription"], bonus["promotionKey"]) == \
        (100.0, "100 points", "BONUS")
    # the alias is stable: the next event names the same number
    _, again, _ = await send(client, event(check=2))
    assert {r["promotionCode"]: r["promotionId"] for r in again["rewards"]} == \
        {c: r["promotionId"] for c, r in rewards.items()}


async def test_rewards_in_xml_carry_the_same(client, services):
    from dre.loyalty.rewards import promotion_number

    await load(services, [{"id": "BIRTHDAY-10", "name": "birthday", "type": "COUPON",
                           "actions": [{"type": "RECEIPT", "percentOff": 10}]}])
    await member_code(services, "B", "BIRTHDAY-10")
    status, raw, _ = await send(client, event(), {**JSON, "Accept": "application/xml"})
    assert status == 200
    text = raw.decode()
    assert f"<PromotionId>{promotion_number('BIRTHDAY-10')}</PromotionId>" in text
    assert "<PromotionKey>BIRTHDAY-10</PromotionKey>" in text and "<PromotionValue>10" in text


# ---- maintenance (5) ----------------------------------------------------------------------


async def test_maintenance_answers_5_and_books_nothing_until_it_ends(client, rdb):
    r = await client.put(MAINTENANCE, data=orjson.dumps({"maintenance": True}), headers=POS_JSON)
    assert r.status_code == 403  # admin keys only
    r = await client.put(MAINTENANCE, data=orjson.dumps({"maintenance": True, "message": "back at 06:00"}),
                         headers={**ADMIN_AUTH, "Content-Type": "application/json"})
    assert r.status_code == 200 and orjson.loads(await r.get_data()) == {"maintenance": True,
                                                                         "message": "back at 06:00"}
    r = await client.get(MAINTENANCE, headers=ADMIN_AUTH)
    assert orjson.loads(await r.get_data())["maintenance"] is True
    status, body, resp = await send(client, event())
    assert status == 503 and resp.headers["Retry-After"]
    assert (body["result"]["statusCode"], body["result"]["description"]) == (5, "back at 06:00")
    assert body["pointsEarned"] == 0 and not rdb.keys(f"dre:{{{TENANT}:member:*")
    # another tenant is not in maintenance
    status, other, _ = await send(client, event(), {**JSON, "Authorization": f"Bearer {OTHER_KEY}"})
    assert status == 200 and other["result"]["statusCode"] == 0
    r = await client.put(MAINTENANCE, data=orjson.dumps({"maintenance": False}),
                         headers={**ADMIN_AUTH, "Content-Type": "application/json"})
    assert r.status_code == 200
    status, body, _ = await send(client, event())
    assert status == 200 and body["result"]["statusCode"] == 0


# ---- unknown failure (1) ------------------------------------------------------------------


async def test_a_booking_the_store_refuses_is_1_unknown_failure_and_books_nothing(client, services, rdb):
    # ten promotions of 1,000,000 points per 0.01 on a bill of 10,000,000.00: 10^16 points, more
    # than the store books exactly (2^53 - 1)
    await load(services, [{"id": f"HUGE{i}", "name": "huge", "type": "LOYALTY",
                           "actions": [{"type": "CURRENCY_TO_POINTS", "points": 1_000_000, "per": 0.01}]}
                          for i in range(10)])
    status, body, _ = await send(client, event(lines=[(i, 1, 1_000_000.0) for i in range(10)]))
    assert status == 422 and body["result"]["statusCode"] == 1
    assert "more than can be booked" in body["result"]["description"]
    assert rdb.hget(keys.member(TENANT, MEMBER), "points") is None


# ---- form bodies --------------------------------------------------------------------------


def form(check: int = 1) -> bytes:
    """event(check) as ASP.NET Web API form binding names it, in both notations and mixed case."""
    return urlencode([
        ("Loyalty.LoyaltyNumber", MEMBER), ("Bill.CheckNumber", str(check)),
        ("BILL.TransactionDateTime", "2026-11-27T10:15:00+01:00"), ("bill.businessDate", "2026-11-27T00:00:00"),
        ("Bill.Total", "15.00"), ("Bill.OrderModeId", ""),  # empty: null, as ASP.NET binds it
        ("Bill.Items[0].ItemId", "100"), ("Bill.Items[0].Quantity", "1"), ("Bill.Items[0].Amount", "10.00"),
        ("bill[billLineItems][1][itemId]", "101"), ("bill[billLineItems][1][quantity]", "2"),
        ("bill[billLineItems][1][amount]", "5.00"),
    ]).encode()


async def test_a_form_body_with_aspnet_names_books_like_its_json(client, services):
    await load(services, [POINTS])
    status, body, r = await send(client, form(), FORM)
    assert status == 200 and r.headers["Content-Type"].startswith("application/json")
    assert (body["pointsEarned"], body["result"]["statusCode"]) == (15, 0)
    # the same event in JSON is a replay of it (one event, whatever the format)
    status, replay, _ = await send(client, event())
    assert (status, replay["pointsEarned"], replay["totalPoints"], replay["result"]["statusCode"]) == (200, 15, 15, 6)
    status, raw, r = await send(client, form(check=2), {**FORM, "Accept": "text/xml"})
    assert status == 200 and r.headers["Content-Type"].startswith("text/xml") and b"<PointsEarned>15<" in raw


async def test_a_malformed_form_is_invalid_input(client, rdb):
    gap = form().replace(b"Bill.Items%5B0%5D", b"Bill.Items%5B2%5D")
    status, body, _ = await send(client, gap, FORM)
    assert status == 400 and body["result"]["statusCode"] == 3 and "without gaps" in body["result"]["description"]
    status, body, _ = await send(client, form() + b"&Bill.CheckNumber=2", FORM)
    assert status == 400 and body["result"]["statusCode"] == 3 and "twice" in body["result"]["description"]
    status, body, _ = await send(client, form().replace(b"Bill.CheckNumber=1", b"Bill.CheckNumber=x"), FORM)
    assert status == 400 and body["result"]["statusCode"] == 3 and "checkNumber" in body["result"]["description"]
    assert not rdb.keys(f"dre:{{{TENANT}:member:*")


# ---- a replay with another bill -----------------------------------------------------------


async def test_a_replay_with_another_bill_redeems_nothing_new_and_is_refused(client, services, rdb):
    await load(services, [POINTS])
    store = services.store
    await store.coupon_types.put(TENANT, "W", kind="INDIVIDUAL", prefix="W")
    first_code, second_code = await store.coupons.generate(TENANT, "W", 2)
    status, first, _ = await send(client, event(natives=[first_code]))
    assert status == 200 and first["result"]["statusCode"] == 0 and first["pointsEarned"] == 15
    # same member, checkNumber and businessDate, another bill: a new code and another line
    changed = event(lines=[(100, 1, 10.0), (101, 2, 5.0), (102, 1, 30.0)], natives=[first_code, second_code])
    status, refused, _ = await send(client, changed)
    assert status == 409 and refused["result"]["statusCode"] == 4
    assert "another bill" in refused["result"]["description"]
    assert (await store.coupons.get(TENANT, second_code))["status"] == "ACTIVE"  # not redeemed
    assert rdb.hget(keys.member(TENANT, MEMBER), "points") == "15"
    # the first bill again is still its replay
    status, replay, _ = await send(client, event(natives=[first_code]))
    assert (status, replay["result"]["statusCode"], replay["totalPoints"]) == (200, 6, 15)
    assert replay["nativeDiscountResults"] == first["nativeDiscountResults"]


# ---- nativeDiscounts cap ------------------------------------------------------------------


async def test_more_than_50_native_discounts_are_refused_in_the_loyalty_shape(client, services, rdb):
    store = services.store
    await store.coupon_types.put(TENANT, "W", kind="INDIVIDUAL", prefix="W")
    codes = await store.coupons.generate(TENANT, "W", 51)
    status, body, _ = await send(client, event(natives=codes))
    assert status == 400 and body["result"]["statusCode"] == 4
    assert "nativeDiscounts: at most 50" in body["result"]["description"]
    assert {(await store.coupons.get(TENANT, c))["status"] for c in codes} == {"ACTIVE"}
    assert not rdb.keys(f"dre:{{{TENANT}:member:*")
    status, body, _ = await send(client, event(natives=codes[:50]))
    assert status == 200 and len(body["nativeDiscountResults"]) == 50


# ---- points on the pricing lanes ----------------------------------------------------------

N_EXCLUSIVE, N_LINES, WIDTH = 14, 16, 6  # the reference evaluator's exhaustive search: ~2 s here


def exclusive_loyalty() -> list[dict]:
    """Exclusive LOYALTY promotions whose article sets overlap: a best-deal search."""
    return [{"id": f"X{i:02d}", "name": f"x{i}", "type": "LOYALTY", "exclusive": True,
             "actions": [{"type": "ARTICLE", "values": [str((i + j) % N_LINES) for j in range(WIDTH)],
                          "percentOff": 5 + (i * 7) % 31, "maxQuantity": 1},
                         {"type": "ADD_FIXED", "points": 10}]} for i in range(N_EXCLUSIVE)]


async def test_points_are_priced_off_the_event_loop(client, services, monkeypatch):
    await load(services, exclusive_loyalty())
    on_loop = []
    reference = dre.loyalty.points.evaluate

    def watched(*args, **kwargs):
        on_loop.append(threading.current_thread() is threading.main_thread())
        return reference(*args, **kwargs)

    monkeypatch.setattr(dre.loyalty.points, "evaluate", watched)
    gaps = []
    done = trio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await trio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    answer = {}

    async def book() -> None:
        answer["status"], answer["body"], _ = await send(client, event(lines=[(i, 1, 10.0 + i) for i in range(N_LINES)]))
        done.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(ticker)
        nursery.start_soon(book)
    assert answer["status"] == 200 and answer["body"]["result"]["statusCode"] == 0
    assert answer["body"]["pointsEarned"] > 0
    assert not any(on_loop)  # the exhaustive reference search never runs on the event loop
    assert max(gaps) < 0.75  # the loop kept running (the reference search alone takes ~2 s)


async def test_points_are_bounded_by_the_pricing_deadline(redis_url):
    from api.app import create_app
    from api.worker import open_services
    from tests.api.conftest import make_config

    # a deadline no pricing meets: the event is answered 503 with 2 (retry), nothing booked
    async with open_services(make_config(DRE_PRICE_DEADLINE_MS="1"), redis_url, warm_up=False) as services:
        await load(services, exclusive_loyalty())
        app = create_app(services)
        async with app.test_app() as test_app:
            status, body, r = await send(test_app.test_client(),
                                         event(lines=[(i, 1, 10.0 + i) for i in range(N_LINES)]))
        assert status == 503 and body["result"]["statusCode"] == 2 and r.headers["Retry-After"]
        assert "pricing took longer" in body["result"]["description"]
        assert await services.store.loyalty.points(TENANT, MEMBER) is None



async def test_the_openapi_document_shows_the_new_route_fields_and_media_types(client):
    doc = orjson.loads(await (await client.get("/openapi.json")).get_data())
    op = doc["paths"][PATH]["post"]
    assert {"application/json", "application/xml", "application/x-www-form-urlencoded"} <= \
        set(op["requestBody"]["content"])
    assert {"409", "422", "503"} <= set(op["responses"])
    assert "promotionKey" in doc["components"]["schemas"]["Reward"]["properties"]
    assert {"get", "put"} <= set(doc["paths"][MAINTENANCE])
