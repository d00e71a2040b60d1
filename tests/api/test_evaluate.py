"""POST /pos/v2/evaluate through the app on a real Redis: every response field, counters, context."""
from __future__ import annotations

import uuid

import orjson

from api.worker import open_services
from bench.isolation import heavy_body, heavy_promotions
from dre.store import keys
from tests.api.conftest import TENANT, make_config, post
from tests.api.flows import load


async def test_example_basket_every_field(client, example_request):
    status, body, resp = await post(client, "/pos/v2/evaluate", example_request)
    assert status == 200
    assert body["meta"]["header"] == {"transactionId": "T1", "transactionCounter": 1}
    assert body["meta"]["isSimulation"] is False
    assert body["meta"]["counterSource"] == "STORE"
    assert body["meta"]["durationMs"] >= 0
    assert body["meta"]["bestDealExact"] is True  # no exclusive promotions compete here
    lines = body["lineItems"]
    assert [li["lineReference"] for li in lines] == ["1", "2", "3", "4"]
    # 2 x 4.99 coffee, 10 % per unit: 0.499 -> 0.50 per unit, 1.00 on the line
    assert lines[0] == {"lineReference": "1", "articleNumber": "A100", "quantity": 2, "unitPrice": 4.99,
                        "lineGross": 9.98, "lineDiscount": 1.0, "lineNet": 8.98,
                        "discounts": [{"promotionId": "P1", "promotionName": "10 % off coffee, from 2",
                                       "promotionType": "ARTICLE", "amount": 1.0, "couponCode": None}]}
    # 4 chocolates at 3.99: one bundle of 3 (11.97) for 10.00 saves 1.97
    assert lines[1]["lineDiscount"] == 1.97 and lines[1]["lineNet"] == 13.99
    assert lines[1]["discounts"][0]["promotionType"] == "BUNDLE"
    # weighed cheese 0.456 x 12.99 = 5.92344 -> 5.92, nothing applies
    assert lines[2]["quantity"] == 0.456 and lines[2]["lineGross"] == 5.92 and lines[2]["discounts"] == []
    # a returned coffee alone does not reach MIN_QUANTITY 2: no discount to give back
    assert lines[3]["quantity"] == -1 and lines[3]["lineGross"] == -4.99 and lines[3]["lineNet"] == -4.99
    assert body["grantedItems"] == []
    assert body["totals"] == {
        "gross": 26.87, "discount": 2.97, "net": 23.9, "currency": "EUR",
        "savingsSummary": {"totalSavings": 2.97,
                           "byPromotion": [{"promotionId": "P1", "amount": 1.0}, {"promotionId": "P3", "amount": 1.97}],
                           # sale net 28.89 -> 28 points; the returned coffee (4.99) takes back 4
                           "loyaltyPointsEarned": 24}}
    assert body["couponResults"] == []
    # sale gross 31.86 misses the 50.00 of P2 by 18.14; 10 % of it would save 3.19
    assert body["recommendations"] == [{"promotionId": "P2", "type": "MISSED_PROMOTION",
                                        "message": "Spend 18.14 more for 10% off the basket",
                                        "missingAmount": 18.14, "missingQuantity": 0, "potentialSavings": 3.19}]
    assert resp.headers["Content-Type"] == "application/json"


async def test_counter_increments_per_transaction(client, example_request):
    counters = []
    for _ in range(3):
        _, body, _ = await post(client, "/pos/v2/evaluate", example_request)
        counters.append(body["meta"]["header"]["transactionCounter"])
    example_request["request"]["header"]["transactionId"] = "T2"
    _, other, _ = await post(client, "/pos/v2/evaluate", example_request)
    assert counters == [1, 2, 3]
    assert other["meta"]["header"] == {"transactionId": "T2", "transactionCounter": 1}


async def test_iteration_is_stored_for_confirm(client, example_request, rdb):
    await post(client, "/pos/v2/evaluate", example_request)
    _, body, _ = await post(client, "/pos/v2/evaluate", example_request)
    stored = rdb.hgetall(keys.txn_iterations(TENANT, "T1"))
    assert list(stored) == ["2"]  # only the latest iteration can be confirmed
    it = orjson.loads(stored["2"])
    assert it["customerId"] == "C1"
    assert {a["promotionId"]: a["amount"] for a in it["applied"]} == {"P1": 100, "P3": 197, "P4": 0}
    assert it["totals"] == {"gross": 2687, "discount": 297, "points": 24}
    assert it["coupons"] == []
    assert it["response"] == {"totals": body["totals"]}  # what confirm repeats; not the ~20 KB of lines
    assert 0 < rdb.pttl(keys.txn_counter(TENANT, "T1")) <= 24 * 3600 * 1000


async def test_transaction_id_generated_when_absent(client, example_request):
    del example_request["request"]["header"]["transactionId"]
    _, a, _ = await post(client, "/pos/v2/evaluate", example_request)
    _, b, _ = await post(client, "/pos/v2/evaluate", example_request)
    ida, idb = a["meta"]["header"]["transactionId"], b["meta"]["header"]["transactionId"]
    assert uuid.UUID(ida).version == 4 and ida != idb
    assert a["meta"]["header"]["transactionCounter"] == b["meta"]["header"]["transactionCounter"] == 1


async def test_evaluate_ignores_simulate_flags(client, example_request):
    example_request["request"]["includeMissedPromotions"] = False
    example_request["request"]["includeInactive"] = True
    _, body, _ = await post(client, "/pos/v2/evaluate", example_request)
    assert [r["promotionId"] for r in body["recommendations"]] == ["P2"]  # always returned


async def test_unknown_coupon_is_invalid(client, example_request):
    example_request["request"]["coupons"] = [{"code": "NOPE"}]
    _, body, _ = await post(client, "/pos/v2/evaluate", example_request)
    assert body["couponResults"] == [{"code": "NOPE", "status": "INVALID", "reason": None, "promotionIds": [],
                                      "message": body["couponResults"][0]["message"]}]


async def test_exhausted_budget_is_skipped(client, example_request, rdb):
    rdb.sadd(keys.exhausted_budgets(TENANT), "P1")
    _, body, _ = await post(client, "/pos/v2/evaluate", example_request)
    assert body["lineItems"][0]["discounts"] == []
    assert [p["promotionId"] for p in body["totals"]["savingsSummary"]["byPromotion"]] == ["P3"]


async def test_article_group_from_article_master(client, services, example_request):
    await services.store.articles.put(TENANT, {"A100": orjson.dumps({"articleNumber": "A100",
                                                                      "articleGroupId": "COFFEE"}).decode()})
    for item in example_request["request"]["items"]:
        if item["articleNumber"] == "A100":
            del item["articleGroupId"]
    _, body, _ = await post(client, "/pos/v2/evaluate", example_request)
    assert body["lineItems"][0]["lineDiscount"] == 1.0  # P1 matched group COFFEE via the master


async def test_same_basket_same_bytes_except_duration(client, example_request):
    _, a, _ = await post(client, "/pos/v2/simulate", example_request)
    _, b, _ = await post(client, "/pos/v2/simulate", example_request)
    a["meta"].pop("durationMs"), b["meta"].pop("durationMs")
    assert orjson.dumps(a) == orjson.dumps(b)


async def test_a_pathological_basket_says_its_best_deal_is_not_exact(client, services):
    """20 exclusive promotions overlapping on 30 lines (issue 13): the search stops at its work
    bound, the answer is the best deal found, and meta.bestDealExact says it is not proven best."""
    await load(services, heavy_promotions())
    status, body, _ = await post(client, "/pos/v2/evaluate", orjson.loads(heavy_body()))
    assert status == 200
    assert body["meta"]["bestDealExact"] is False
    assert 0 < body["totals"]["discount"] < body["totals"]["gross"]
    assert all(item["lineNet"] >= 0 for item in body["lineItems"])


async def test_the_price_deadline_setting_reaches_the_engine():
    async with open_services(make_config(DRE_PRICE_DEADLINE_MS="123"), None, warm_up=False) as services:
        assert services.engine.timeout_s == 0.123
