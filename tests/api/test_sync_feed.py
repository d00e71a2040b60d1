"""GET /admin/sync/feed (central): the delta a local instance pulls, by cursor; admin keys only."""
from __future__ import annotations

import orjson

from tests.api.conftest import ADMIN_AUTH, AUTH, admin_post


async def feed(client, cursor: str | None = None, limit: int | None = None) -> dict:
    query = "&".join(f"{k}={v}" for k, v in (("cursor", cursor), ("limit", limit)) if v is not None)
    r = await client.get(f"/admin/sync/feed?{query}", headers=ADMIN_AUTH)
    assert r.status_code == 200, await r.get_data()
    return orjson.loads(await r.get_data())


async def test_feed_sends_rules_when_their_version_moved_and_articles_by_cursor(client):
    first = await feed(client)
    assert {p["id"] for p in first["promotions"]} and first["couponTypes"] == []
    assert first["articles"] == [] and first["more"] is False and first["exhaustedBudgets"] == []
    unchanged = await feed(client, first["cursor"])
    assert unchanged["promotions"] is None and unchanged["couponTypes"] is None  # not a full copy per poll

    articles = [{"articleNumber": f"A{i}", "name": f"article {i}", "articleGroupId": "G"} for i in range(5)]
    await admin_post(client, "/pos/articles/import", {"articles": articles})
    page = await feed(client, unchanged["cursor"], limit=3)
    assert [a["articleNumber"] for a in page["articles"]] == ["A0", "A1", "A2"] and page["more"] is True
    page = await feed(client, page["cursor"], limit=3)
    assert [a["articleNumber"] for a in page["articles"]] == ["A3", "A4"] and page["more"] is False
    await admin_post(client, "/pos/articles/import", {"articles": [{**articles[1], "name": "renamed"}]})
    page = await feed(client, page["cursor"])
    assert page["articles"] == [{**articles[1], "name": "renamed"}] and page["promotions"] is None

    await admin_post(client, "/admin/promotions", {"id": "NEW", "name": "new", "type": "ARTICLE",
                                                   "actions": [{"type": "ARTICLE", "values": ["A1"], "percentOff": 5}]})
    page = await feed(client, page["cursor"])
    assert "NEW" in {p["id"] for p in page["promotions"]} and page["articles"] == []
    assert page["promotionsVersion"] > first["promotionsVersion"]


async def test_feed_sends_the_store_settings_with_the_rules_when_a_settings_write_moved_them(client):
    first = await feed(client)
    assert first["storeSettings"] == {"stores": {}, "default": None}
    for path, body in (("/admin/stores/BER1", {"timeZone": "Europe/Berlin"}), ("/admin/settings", {"timeZone": "UTC"})):
        r = await client.put(path, data=orjson.dumps(body), headers={**ADMIN_AUTH, "Content-Type": "application/json"})
        assert r.status_code in (200, 201), await r.get_data()
    page = await feed(client, first["cursor"])
    assert page["storeSettings"] == {"stores": {"BER1": {"timeZone": "Europe/Berlin"}}, "default": {"timeZone": "UTC"}}
    assert page["promotions"] is not None  # the whole rule set: settings move the promotions version
    assert (await feed(client, page["cursor"]))["storeSettings"] is None


async def test_feed_refuses_a_pos_key_and_a_cursor_it_did_not_issue(client):
    r = await client.get("/admin/sync/feed", headers=AUTH)
    assert r.status_code == 403
    for query in ("cursor=abc", "cursor=1", "limit=0", "limit=x"):
        r = await client.get(f"/admin/sync/feed?{query}", headers=ADMIN_AUTH)
        assert r.status_code == 400, query
        assert orjson.loads(await r.get_data())["error"]["code"] == "INVALID_INPUT"


async def test_feed_sends_individual_codes_when_they_change(client):
    """INDIVIDUAL codes come by their own change log (created, redeemed, ...), each as it is now;
    a GENERIC type's shared code does not (its state is central's)."""
    for t in ({"id": "IND", "type": "INDIVIDUAL", "offlinePolicy": "ACCEPT"},
              {"id": "GEN", "type": "GENERIC", "code": "SHARED"}):
        status, body, _ = await admin_post(client, "/admin/coupon-types", t)
        assert status == 201, body
    first = await feed(client)
    assert {t["id"]: t.get("offlinePolicy") for t in first["couponTypes"]} == {"IND": "ACCEPT", "GEN": None}
    _, generated, _ = await admin_post(client, "/admin/coupon-types/IND/generate", {"count": 2})
    made = generated["codes"]
    page = await feed(client, first["cursor"])
    assert sorted(c["code"] for c in page["codes"]) == sorted(made)
    assert {(c["status"], c["typeId"]) for c in page["codes"]} == {("ACTIVE", "IND")}
    assert (await feed(client, page["cursor"]))["codes"] == []
    body = {"code": made[0], "transactionId": "T1"}
    r = await client.post("/pos/coupons/reserve", data=orjson.dumps(body), headers={**AUTH, "Content-Type": "application/json"})
    rid = orjson.loads(await r.get_data())["reservationId"]
    r = await client.post("/pos/coupons/redeem", data=orjson.dumps({"reservationId": rid}),
                          headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 200, await r.get_data()
    later = await feed(client, page["cursor"])
    assert [(c["code"], c["status"]) for c in later["codes"]] == [(made[0], "REDEEMED")]
    assert (await feed(client, "3.0"))["codes"]  # a two-part cursor (older release): every code once


async def test_a_reserve_is_one_script_call_and_its_change_is_in_the_feed(client, services, monkeypatch):
    """The code change log is written by the transition's own script (coupon_reserve.lua), in the
    same atomic step: no second call (code_changes_log.lua) that a store fault could skip, leaving
    the stores' copies stale; and the feed sends the reserved code."""
    status, body, _ = await admin_post(client, "/admin/coupon-types", {"id": "ONE", "type": "INDIVIDUAL"})
    assert status == 201, body
    _, generated, _ = await admin_post(client, "/admin/coupon-types/ONE/generate", {"count": 1})
    code = generated["codes"][0]
    cursor = (await feed(client))["cursor"]
    core = services.store.core
    names = {getattr(core.scripts, name).sha: name for name in core.scripts.__dataclass_fields__}
    called: list[str] = []
    real = core.call_script

    async def spy(script, keys, args, *rest, **kw):
        called.append(names.get(script.sha, "?"))
        return await real(script, keys, args, *rest, **kw)

    monkeypatch.setattr(core, "call_script", spy)
    r = await client.post("/pos/coupons/reserve", data=orjson.dumps({"code": code, "transactionId": "T1"}),
                          headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 200, await r.get_data()
    monkeypatch.undo()
    assert [n for n in called if n.startswith(("coupon_", "code_"))] == ["coupon_reserve"]
    page = await feed(client, cursor)
    assert [(c["code"], c["status"], c["reservedTxn"]) for c in page["codes"]] == [(code, "RESERVED", "T1")]
