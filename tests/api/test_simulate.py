"""POST /pos/v2/simulate: same pricing, nothing written, simulate-only flags honoured."""
from __future__ import annotations

from tests.api.conftest import admin_post, post


def _key_snapshot(rdb) -> dict[str, str]:
    return {k: rdb.dump(k) for k in rdb.scan_iter("*")}


async def test_simulate_writes_nothing(client, example_request, rdb):
    await post(client, "/pos/v2/evaluate", example_request)  # some state to compare against
    before = _key_snapshot(rdb)
    size = rdb.dbsize()
    example_request["request"]["coupons"] = [{"code": "WELCOME10"}]
    for _ in range(3):
        status, body, _ = await post(client, "/pos/v2/simulate", example_request)
        assert status == 200
    assert rdb.dbsize() == size
    assert _key_snapshot(rdb) == before
    assert body["meta"]["isSimulation"] is True
    assert body["meta"]["header"] == {"transactionId": "T1"}  # no counter issued
    assert "counterSource" not in body["meta"]


async def test_simulate_prices_like_evaluate(client, example_request):
    _, ev, _ = await post(client, "/pos/v2/evaluate", example_request)
    _, sim, _ = await post(client, "/pos/v2/simulate", example_request)
    for key in ("lineItems", "grantedItems", "totals", "couponResults"):
        assert sim[key] == ev[key]


async def test_recommendations_only_when_asked(client, example_request):
    _, plain, _ = await post(client, "/pos/v2/simulate", example_request)
    example_request["request"]["includeMissedPromotions"] = True
    _, asked, _ = await post(client, "/pos/v2/simulate", example_request)
    assert plain["recommendations"] == []
    assert [r["promotionId"] for r in asked["recommendations"]] == ["P2"]


async def test_include_inactive(client, example_request):
    # Written through the admin API (the store), not loaded into the engine behind the reloader's
    # back: the reloader's own first load could otherwise replace it on a slow machine.
    p9 = {"id": "P9", "name": "inactive 1.00 off cheese", "type": "ARTICLE", "status": "INACTIVE",
          "actions": [{"type": "ARTICLE_GROUP", "values": ["CHEESE"], "amountOff": 1.00}]}
    status, _, _ = await admin_post(client, "/admin/promotions", p9)
    assert status == 201
    _, off, _ = await post(client, "/pos/v2/simulate", example_request)
    example_request["request"]["includeInactive"] = True
    _, on, _ = await post(client, "/pos/v2/simulate", example_request)
    _, ev, _ = await post(client, "/pos/v2/evaluate", example_request)
    assert off["lineItems"][2]["discounts"] == []
    assert [d["promotionId"] for d in on["lineItems"][2]["discounts"]] == ["P9"]
    assert ev["lineItems"][2]["discounts"] == []  # evaluate ignores includeInactive
