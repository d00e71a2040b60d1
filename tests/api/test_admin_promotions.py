"""/admin/promotions through HTTP: CRUD, validation paths, activate/deactivate, budget, and the
next evaluate pricing with the write."""
from __future__ import annotations

import orjson

from tests.api.conftest import ADMIN_AUTH, OTHER_ADMIN_KEY, post

RICE = {"id": "P10", "name": "2.00 off rice", "type": "ARTICLE",
        "actions": [{"type": "ARTICLE", "values": ["R1"], "amountOff": 2.0}]}


def basket(request: dict) -> dict:
    request["request"]["items"] = [{"lineReference": "1", "articleNumber": "R1", "quantity": 1,
                                    "unitPrice": 5.0, "articleGroupId": "RICE"}]
    return request


async def call(client, method: str, path: str, body: object | None = None):
    headers = dict(ADMIN_AUTH)
    kwargs = {}
    if body is not None:
        headers["Content-Type"] = "application/json"
        kwargs["data"] = orjson.dumps(body)
    r = await client.open(path, method=method, headers=headers, **kwargs)
    return r.status_code, orjson.loads(await r.get_data()), r


async def rice_discount(client, example_request) -> float:
    status, body, _ = await post(client, "/pos/v2/evaluate", basket(example_request))
    assert status == 200
    return body["totals"]["discount"]


async def test_create_get_list_and_the_next_evaluate_prices_with_it(client, example_request):
    assert await rice_discount(client, example_request) == 0
    status, doc, r = await call(client, "POST", "/admin/promotions", RICE)
    assert status == 201 and r.headers["Location"] == "/admin/promotions/P10"
    assert doc["status"] == "ACTIVE" and doc["priority"] == 0  # stored with its defaults
    version = int(r.headers["X-Promotions-Version"])
    assert await rice_discount(client, example_request) == 2.0
    status, got, _ = await call(client, "GET", "/admin/promotions/P10")
    assert status == 200 and got == doc
    status, listing, _ = await call(client, "GET", "/admin/promotions")
    assert [p["id"] for p in listing["promotions"]] == ["P1", "P10", "P2", "P3", "P4"]  # file seeded + new
    assert listing["version"] == version


async def test_create_of_an_existing_id_is_409_and_changes_nothing(client):
    await call(client, "POST", "/admin/promotions", RICE)
    status, body, _ = await call(client, "POST", "/admin/promotions", {**RICE, "name": "other"})
    assert status == 409 and body["error"]["code"] == "ALREADY_EXISTS"
    assert (await call(client, "GET", "/admin/promotions/P10"))[1]["name"] == RICE["name"]


async def test_invalid_promotions_are_refused_with_paths(client):
    bad = {**RICE, "actions": [{"type": "ARTICLE", "values": ["R1"], "percentOff": 120}], "bogus": 1}
    status, body, _ = await call(client, "POST", "/admin/promotions", bad)
    assert status == 400
    paths = {d["path"] for d in body["error"]["details"]}
    assert {"actions[0].percentOff", "bogus"} <= paths
    status, body, _ = await call(client, "POST", "/admin/promotions", {**RICE, "conditions": [{"type": "NOPE"}]})
    assert status == 400 and body["error"]["details"][0]["path"].startswith("conditions[0]")
    assert (await call(client, "GET", "/admin/promotions/P10"))[0] == 404


async def test_put_creates_replaces_and_checks_the_id(client, example_request):
    status, _, _ = await call(client, "PUT", "/admin/promotions/P10", RICE)
    assert status == 201
    status, body, _ = await call(client, "PUT", "/admin/promotions/P10", {**RICE, "id": "P11"})
    assert status == 400 and body["error"]["details"][0]["path"] == "id"
    changed = {**RICE, "actions": [{"type": "ARTICLE", "values": ["R1"], "amountOff": 1.5}]}
    status, doc, _ = await call(client, "PUT", "/admin/promotions/P10", changed)
    assert status == 200 and doc["actions"][0]["amountOff"] == 1.5
    assert await rice_discount(client, example_request) == 1.5


async def test_deactivate_activate_and_delete(client, example_request):
    await call(client, "POST", "/admin/promotions", RICE)
    r = await client.post("/admin/promotions/P10/deactivate", headers=ADMIN_AUTH)  # no body, no Content-Type
    assert r.status_code == 200 and orjson.loads(await r.get_data())["status"] == "INACTIVE"
    assert await rice_discount(client, example_request) == 0
    status, doc, _ = await call(client, "POST", "/admin/promotions/P10/activate")
    assert status == 200 and doc["status"] == "ACTIVE"
    assert await rice_discount(client, example_request) == 2.0
    status, body, r = await call(client, "DELETE", "/admin/promotions/P10")
    assert status == 200 and body == {"id": "P10", "version": int(r.headers["X-Promotions-Version"])}
    assert await rice_discount(client, example_request) == 0
    assert (await call(client, "DELETE", "/admin/promotions/P10"))[0] == 404
    assert (await call(client, "POST", "/admin/promotions/P10/activate"))[0] == 404


async def test_budget_in_major_units_null_without_limit(client, rdb):
    status, body, _ = await call(client, "GET", "/admin/promotions/P1/budget")  # 1000.00 and 500 uses
    assert status == 200
    assert body == {"promotionId": "P1", "amount": {"limit": 1000.0, "consumed": 0.0, "remaining": 1000.0},
                    "redemptions": {"limit": 500, "consumed": 0, "remaining": 500}, "perCustomerRedemptions": 1}
    rdb.hset("dre:{acme}:budget:P1", mapping={"amount_consumed": 1234, "redemptions_consumed": 3})
    body = (await call(client, "GET", "/admin/promotions/P1/budget"))[1]
    assert body["amount"] == {"limit": 1000.0, "consumed": 12.34, "remaining": 987.66}
    assert body["redemptions"] == {"limit": 500, "consumed": 3, "remaining": 497}
    body = (await call(client, "GET", "/admin/promotions/P2/budget"))[1]
    assert body["amount"] == {"limit": None, "consumed": 0.0, "remaining": None}
    assert body["redemptions"]["limit"] is None
    assert (await call(client, "GET", "/admin/promotions/NOPE/budget"))[0] == 404


async def test_tenants_do_not_see_each_others_promotions(client):
    await call(client, "POST", "/admin/promotions", RICE)
    r = await client.get("/admin/promotions/P10", headers={"Authorization": f"Bearer {OTHER_ADMIN_KEY}"})
    assert r.status_code == 404
    r = await client.get("/admin/promotions", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


async def test_raising_a_used_up_budget_offers_the_promotion_again(client, services):
    import trio

    from tests.api.flows import confirm, evaluate, item

    once = {"id": "ONE", "name": "0.40 off, one redemption", "type": "ARTICLE", "budget": {"redemptions": 1},
            "actions": [{"type": "ARTICLE", "values": ["R"], "amountOff": 0.40}]}
    assert (await call(client, "POST", "/admin/promotions", once))[0] == 201
    assert (await evaluate(client, "T1", [item("1", "R", 1, 2.00)]))["totals"]["discount"] == 0.4
    assert (await confirm(client, "T1", 1))[0] == 200  # the budget is used up now

    async def discount(txn: str) -> float:
        priced = await evaluate(client, txn, [item("1", "R", 1, 2.00)])
        counters[txn] = priced["meta"]["header"]["transactionCounter"]
        return priced["totals"]["discount"]

    counters: dict[str, int] = {}
    with trio.fail_after(10):  # each worker re-reads the used-up set about once a second
        while await discount("T2") != 0:
            await trio.sleep(0.2)
    status, _, _ = await call(client, "PUT", "/admin/promotions/ONE", {**once, "budget": {"redemptions": 5}})
    assert status == 200
    with trio.fail_after(10):
        while await discount("T3") != 0.4:
            await trio.sleep(0.2)
    assert (await confirm(client, "T3", counters["T3"]))[0] == 200
    status, _, _ = await call(client, "PUT", "/admin/promotions/ONE", {**once, "budget": {"redemptions": 2}})
    assert status == 200  # still used up under the new limit: not offered
    await trio.sleep(1.5)
    assert await discount("T4") == 0
