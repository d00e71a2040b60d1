"""Checkout flows over the app's test client (evaluate, confirm, coupons), shared by API tests."""
from __future__ import annotations

import orjson
import trio

from dre.promotion import parse_promotions
from tests.api.conftest import AUTH, TENANT, post

TIMESTAMP = "2026-11-27T10:15:00+01:00"


async def load(services, promotions: list[dict], tenant: str = TENANT) -> None:
    """Give the tenant these promotions the way the admin API does: written to the store (the
    source of truth every worker reloads from), then the worker's set rebuilt at once. Without a
    store, straight into the engine."""
    parse_promotions(promotions)  # a typo in a test's promotions fails here, not as a 400 later
    if not services.store.available:
        services.engine.load(tenant, parse_promotions(promotions))
        return
    for old in (await services.store.promotions.all(tenant)).keys() - {p["id"] for p in promotions}:
        await services.store.promotions.delete(tenant, old)
    for p in promotions:
        await services.store.promotions.put(tenant, p["id"], orjson.dumps(p).decode())
    await services.reloader.refresh(tenant)


async def coupon_types(services, tenant: str = TENANT) -> list[str]:
    """The test coupon types (tests/api/promos.py), with the worker's set rebuilt at once: coupon
    types gate promotions, so every write bumps the promotions version. Returns WELCOME codes."""
    from tests.api.promos import put_coupon_types

    codes = await put_coupon_types(services.store, tenant)
    await services.reloader.refresh(tenant)
    return codes


def request(txn: str, items: list[dict], *, customer: str | None = "C1", card: str | None = None,
            coupons: tuple[str, ...] = ()) -> dict:
    cust = {k: v for k, v in (("customerId", customer), ("loyaltyCardNo", card)) if v}
    return {"request": {"header": {"transactionId": txn, "timestamp": TIMESTAMP}, "posGroupCode": "DE-NORTH",
                        "items": items, "customer": cust or None, "coupons": [{"code": c} for c in coupons]}}


def item(ref: str, article: str, qty, price, group: str = "G") -> dict:
    return {"lineReference": ref, "articleNumber": article, "quantity": qty, "unitPrice": price,
            "articleGroupId": group}


async def evaluate(client, txn: str, items: list[dict], **kw) -> dict:
    status, body, _ = await post(client, "/pos/v2/evaluate", request(txn, items, **kw))
    assert status == 200, body
    return body


async def confirm(client, txn: str, counter: int, headers: dict | None = None):
    """(status, parsed body, raw bytes)."""
    body = {"request": {"header": {"transactionId": txn, "transactionCounter": counter}}}
    status, parsed, resp = await post(client, "/pos/v2/confirm", body, headers)
    return status, parsed, await resp.get_data()


async def side_effects(client, txn: str, counter: int):
    r = await client.get(f"/pos/v2/transactions/{txn}/{counter}/side-effects", headers=AUTH)
    return r.status_code, orjson.loads(await r.get_data())


async def completed_side_effects(client, services, txn: str, counter: int, timeout_s: float = 5.0) -> dict:
    """Poll (past the 1 s answer cache) until the job is COMPLETED; returns the answer."""
    with trio.fail_after(timeout_s):
        while True:
            services.side_effects_cache = type(services.side_effects_cache)()  # see fresh state
            status, body = await side_effects(client, txn, counter)
            if status == 200 and body["status"] in ("COMPLETED", "FAILED"):
                return body
            await trio.sleep(0.02)
