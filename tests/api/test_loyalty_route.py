"""POST /posSupportAPI/loyalty/posevent through HTTP on a real Redis: the seed's own sample
bodies in JSON and XML, replays, native discounts, rewards, auth, and bad or hostile input."""
from __future__ import annotations

import base64
from xml.etree.ElementTree import fromstring

import orjson
import pytest

from dre.store import keys
from tests.api.conftest import KEY, TENANT
from tests.loyalty.helpers import NS, seed

PATH = "/posSupportAPI/loyalty/posevent"
BEARER = {"Authorization": f"Bearer {KEY}"}
JSON = {**BEARER, "Content-Type": "application/json"}
XML = {**BEARER, "Content-Type": "application/xml"}
MEMBER = "sample string 1"  # the seed's loyaltyNumber


def sample(**bill) -> dict:
    body = orjson.loads(seed("request.json"))
    body["bill"].update(bill)
    return body


async def send(client, body: bytes | dict, headers: dict = JSON):
    data = orjson.dumps(body) if isinstance(body, dict) else body
    r = await client.post(PATH, data=data, headers=headers)
    raw = await r.get_data()
    return r.status_code, (orjson.loads(raw) if "json" in r.headers["Content-Type"] else raw), r


async def test_seed_json_sample_books_points_and_a_replay_answers_6(client, rdb):
    # examples/promotions.json has P4: 1 point per 1.00 (LOYALTY); the sample's lines total 2.00
    status, body, r = await send(client, seed("request.json"))
    assert status == 200 and r.headers["Content-Type"].startswith("application/json")
    assert (body["pointsEarned"], body["totalPoints"], body["result"]["statusCode"]) == (2, 2, 0)
    assert body["result"]["exceptionTrackingMoniker"] == r.headers["X-Request-Id"]
    # the sample's two native discounts are unknown codes: answered one by one with 4
    assert [(n["nativeDiscount"]["couponSourceCode"], n["result"]["statusCode"])
            for n in body["nativeDiscountResults"]] == [(MEMBER, 4), (MEMBER, 4)]
    assert "INVALID" in body["nativeDiscountResults"][0]["result"]["description"]
    status, again, _ = await send(client, seed("request.json"))
    assert (again["pointsEarned"], again["totalPoints"], again["result"]["statusCode"]) == (2, 2, 6)
    assert rdb.hget(keys.member(TENANT, MEMBER), "points") == "2"
    status, other, _ = await send(client, sample(checkNumber=2))  # another check: booked
    assert (other["pointsEarned"], other["totalPoints"], other["result"]["statusCode"]) == (2, 4, 0)


async def test_seed_xml_sample_round_trip_and_accept_json(client):
    status, raw, r = await send(client, seed("request.xml"), XML)
    assert status == 200 and r.headers["Content-Type"].startswith("application/xml")
    root = fromstring(raw)
    assert root.tag == f"{{{NS}}}LoyaltyPOSEventResponse"
    assert root.findtext(f"{{{NS}}}PointsEarned") == "2"
    assert root.findtext(f"{{{NS}}}Result/{{{NS}}}StatusCode") == "0"
    assert len(root.findall(f"{{{NS}}}PromotionResults/{{{NS}}}LoyaltyPromotionResult")) == 2
    status, body, r = await send(client, seed("request.xml"), {**XML, "Accept": "application/json"})
    assert r.headers["Content-Type"].startswith("application/json")
    assert (body["pointsEarned"], body["totalPoints"], body["result"]["statusCode"]) == (2, 2, 6)


async def test_native_discount_redeemed_once_and_the_replay_answers_the_same(client, services):
    store = services.store
    await store.coupon_types.put(TENANT, "W", kind="INDIVIDUAL", prefix="W")
    code = (await store.coupons.generate(TENANT, "W", 1))[0]
    body = sample()
    body["nativeDiscounts"] = [{"couponSourceCode": code}]
    _, first, _ = await send(client, body)
    assert first["nativeDiscountResults"][0]["result"]["statusCode"] == 0
    assert (await store.coupons.get(TENANT, code))["status"] == "REDEEMED"
    _, replay, _ = await send(client, body)
    assert replay["result"]["statusCode"] == 6
    assert replay["nativeDiscountResults"] == first["nativeDiscountResults"]
    body["bill"]["checkNumber"] = 99  # another event may not use the same code again
    _, other, _ = await send(client, body)
    result = other["nativeDiscountResults"][0]["result"]
    assert result["statusCode"] == 4 and "ALREADY_REDEEMED" in result["description"]


async def test_rewards_list_the_members_usable_codes(client, services):
    store = services.store
    await store.coupon_types.put(TENANT, "B", kind="INDIVIDUAL", prefix="BD", promotion_ids=["P4"])
    issued = [c.code for c in await store.coupons.issue(TENANT, "B", [MEMBER, MEMBER, "someone else"])]
    await store.coupons.activate(TENANT, issued[0], MEMBER)  # issued[1] stays CREATED: not usable yet
    _, body, _ = await send(client, seed("request.json"))
    assert [(r["promotionCode"], r["rewardUuid"], r["promotionPublicName"]) for r in body["rewards"]] == [
        (issued[0], issued[0], "1 point per 1.00")]


@pytest.mark.parametrize("auth", [
    "Basic " + base64.b64encode(f"{TENANT}:{KEY}".encode()).decode(),
    "Basic " + base64.b64encode(f":{KEY}".encode()).decode(),
    "Basic " + base64.b64encode(f"{KEY}:".encode()).decode(),
])
async def test_basic_auth_with_the_api_key(client, auth):
    status, body, _ = await send(client, seed("request.json"), {"Authorization": auth, "Content-Type": "text/json"})
    assert status == 200 and body["result"]["statusCode"] == 0


@pytest.mark.parametrize("auth", [None, "Bearer nope", "Basic " + base64.b64encode(b"globex:key-acme").decode(),
                                  "Basic !!!", "Basic " + base64.b64encode(b"acme:wrong").decode()])
async def test_bad_credentials_401_in_the_loyalty_shape(client, rdb, auth):
    size = rdb.dbsize()
    headers = {"Content-Type": "application/json", **({"Authorization": auth} if auth else {})}
    status, body, r = await send(client, seed("request.json"), headers)
    assert status == 401 and "Basic" in r.headers["WWW-Authenticate"]
    assert (body["pointsEarned"], body["totalPoints"], body["rewards"]) == (0, 0, [])
    assert body["result"]["statusCode"] == 4 and body["result"]["description"]
    assert rdb.dbsize() == size


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<LoyaltyPOSEventRequest><Loyalty><LoyaltyNumber>&lol3;</LoyaltyNumber></Loyalty></LoyaltyPOSEventRequest>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<LoyaltyPOSEventRequest><Loyalty><LoyaltyNumber>&xxe;</LoyaltyNumber></Loyalty></LoyaltyPOSEventRequest>"""


@pytest.mark.parametrize("body,headers,code,words", [
    (b'{"loyalty": ', JSON, 3, "malformed JSON"),
    (orjson.dumps({"bill": sample()["bill"]}), JSON, 3, "loyalty"),
    (orjson.dumps(sample(checkNumber="seven")), JSON, 3, "checkNumber"),
    (orjson.dumps(sample(billLineItems=[{"itemId": 1, "quantity": 0, "amount": 1.0}])), JSON, 4, "quantity"),
    (b"<LoyaltyPOSEventRequest><Bill>", XML, 3, "malformed XML"),
    (BILLION_LAUGHS, XML, 3, "DTD"),
    (XXE, XML, 3, "DTD"),
    (b"<x/>" * 10, {**BEARER, "Content-Type": "text/plain"}, 3, "unsupported content type"),
    (seed("request.json"), {**BEARER, "Content-Type": "application/json; charset=base64"}, 3, "charset=base64"),
    (seed("request.json"), {**BEARER, "Content-Type": "application/json; charset=rot13"}, 3, "charset=rot13"),
    (seed("request.json"), {**BEARER, "Content-Type": "text/json; charset=undefined"}, 3, "charset=undefined"),
    (seed("request.xml"), {**BEARER, "Content-Type": "text/xml; charset=base64"}, 3, "charset=base64"),
    (orjson.dumps(sample(transactionDateTime="/Date(99999999999999999999)/")), JSON, 3,
     "bill.transactionDateTime: out of range"),
], ids=["json-syntax", "json-missing", "json-type", "json-rule", "xml-syntax", "billion-laughs", "xxe", "ctype",
        "charset-base64", "charset-rot13", "charset-undefined", "xml-charset-base64", "wcf-date-overflow"])
async def test_bad_input_400_with_3_or_4_and_nothing_changed(client, rdb, body, headers, code, words):
    size = rdb.dbsize()
    status, answer, r = await send(client, body, headers)
    assert status == 400
    if isinstance(answer, bytes):  # XML in, XML out
        root = fromstring(answer)
        result = {"statusCode": int(root.findtext(f"{{{NS}}}Result/{{{NS}}}StatusCode")),
                  "description": root.findtext(f"{{{NS}}}Result/{{{NS}}}Description")}
    else:
        result = answer["result"]
    assert result["statusCode"] == code and words in result["description"]
    assert rdb.dbsize() == size


async def test_oversized_documents_are_invalid_input(client, rdb):
    size = rdb.dbsize()
    huge = b"<LoyaltyPOSEventRequest>" + b"<a>x</a>" * 200_000 + b"</LoyaltyPOSEventRequest>"
    status, raw, _ = await send(client, huge, XML)
    assert status == 400
    assert fromstring(raw).findtext(f"{{{NS}}}Result/{{{NS}}}StatusCode") == "3"
    assert rdb.dbsize() == size
