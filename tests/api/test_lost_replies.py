"""A store reply lost after Redis ran the call: the lane's retry with the same Idempotency-Key
finds the first outcome instead of doing the write again.

The fault is real: right before the write under test is sent, the test pauses writes on the
redis-server (``CLIENT PAUSE ... WRITE``) for longer than the store deadline. The call times out
(503), and Redis runs it when the pause ends - the outcome the service could not see. The pause
is started from a wrapper around the read the route makes just before its write, so it always
lands between the Idempotency-Key's claim and the write.
"""
from __future__ import annotations

import pytest
import redis
import trio

from actors.redis_server import start_redis_server
from api.app import create_app
from api.worker import open_services
from tests.api.conftest import ADMIN_AUTH, JSON_ADMIN_AUTH, JSON_AUTH, TENANT, make_config, post
from tests.api.flows import item, request
from tests.api.test_admin_coupon_types import WELCOME

STORE_DEADLINE_MS = 400
PAUSE_MS = 1500  # longer than the deadline: the call's reply comes after its caller gave up


@pytest.fixture
def paused_redis(tmp_path):
    server = start_redis_server(tmp_path / "redis", persist=False)
    yield server
    server.stop()


def pause_writes_after(obj: object, name: str, url: str) -> list[int]:
    """Wrap ``obj.name`` (an async store read) so that its first call pauses Redis's writes once
    it has its answer. Returns a list that counts the calls."""
    original = getattr(obj, name)
    calls: list[int] = []

    async def wrapped(*args, **kwargs):
        result = await original(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:
            redis.Redis.from_url(url).client_pause(PAUSE_MS, all=False)  # WRITE: reads still served
        return result

    setattr(obj, name, wrapped)
    return calls


async def retry_until_not_503(client, path: str, body: dict, headers: dict):
    with trio.fail_after(20):
        while True:
            status, answer, response = await post(client, path, body, headers)
            if status not in (503, 409):  # 409 IN_PROGRESS while the first claim is not yet given up
                return status, answer, response
            await trio.sleep(0.2)


async def test_generated_codes_are_made_once_when_the_reply_was_lost(paused_redis):
    config = make_config(DRE_STORE_DEADLINE_MS=str(STORE_DEADLINE_MS))
    async with open_services(config, paused_redis.url, warm_up=False) as services:
        app = create_app(services)
        async with app.test_app() as test_app:
            client = test_app.test_client()
            assert (await post(client, "/admin/coupon-types", WELCOME, JSON_ADMIN_AUTH))[0] == 201
            pause_writes_after(services.store.coupon_types, "get", paused_redis.url)
            headers = {**JSON_ADMIN_AUTH, "Idempotency-Key": "gen-1"}
            status, body, _ = await post(client, "/admin/coupon-types/WELCOME/generate", {"count": 5}, headers)
            assert (status, body["error"]["code"]) == (503, "STORE_UNAVAILABLE")

            status, body, _ = await retry_until_not_503(client, "/admin/coupon-types/WELCOME/generate",
                                                        {"count": 5}, headers)
            assert status == 200
            stored = sorted(k.rsplit(":", 1)[1] for k in redis.Redis.from_url(paused_redis.url, decode_responses=True)
                            .scan_iter(f"dre:{{{TENANT}}}:coupon:WEL*"))
            assert len(stored) == 5  # made once: the first attempt's five, no second five
            assert sorted(body["codes"]) == stored  # and the retry answers the codes that exist
            # the answer is kept now: the journaled replies are dropped (a retry replays the answer)
            assert not list(redis.Redis.from_url(paused_redis.url).scan_iter("*:op:*"))

            # another body under the same key is still refused, the claim knew the first body
            status, body, _ = await post(client, "/admin/coupon-types/WELCOME/generate", {"count": 6}, headers)
            assert (status, body["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")


async def test_a_confirm_whose_reply_was_lost_is_answered_and_counted_once(paused_redis):
    config = make_config(DRE_STORE_DEADLINE_MS=str(STORE_DEADLINE_MS))
    basket = request("TL", [item("1", "A100", 2, 4.99, "COFFEE")])  # P1 of the example rules: 1.00 off
    async with open_services(config, paused_redis.url, warm_up=False) as services:
        app = create_app(services)
        async with app.test_app() as test_app:
            client = test_app.test_client()
            status, priced, _ = await post(client, "/pos/v2/evaluate", basket)
            assert status == 200 and priced["totals"]["discount"] == 1.0
            counter = priced["meta"]["header"]["transactionCounter"]
            pause_writes_after(services.store.transactions, "confirmable", paused_redis.url)
            confirm = {"request": {"header": {"transactionId": "TL", "transactionCounter": counter}}}
            headers = {**JSON_AUTH, "Idempotency-Key": "confirm-TL"}
            status, body, _ = await post(client, "/pos/v2/confirm", confirm, headers)
            assert (status, body["error"]["code"]) == (503, "STORE_UNAVAILABLE")

            status, body, _ = await retry_until_not_503(client, "/pos/v2/confirm", confirm, headers)
            assert status == 200 and body["status"] == "CONFIRMED"
            assert (await services.store.transactions.confirmed(TENANT, "TL")) is not None
            budget = await services.store.budgets.get(TENANT, "P1")
            assert (budget.redemptions_consumed, budget.amount_consumed_cents) == (1, 100)  # consumed once
            assert await services.store.jobs.get(TENANT, f"TL/{counter}") is not None  # its side effects queued


async def test_a_redeem_whose_reply_was_lost_answers_its_redemption_not_already_redeemed(paused_redis):
    """A redeem is not idempotent by itself (a second one is 409 ALREADY_REDEEMED): the retry of a
    redeem whose reply was lost must still answer the redemption it made."""
    config = make_config(DRE_STORE_DEADLINE_MS=str(STORE_DEADLINE_MS))
    async with open_services(config, paused_redis.url, warm_up=False) as services:
        app = create_app(services)
        async with app.test_app() as test_app:
            client = test_app.test_client()
            await post(client, "/admin/coupon-types", WELCOME, JSON_ADMIN_AUTH)
            code = (await post(client, "/admin/coupon-types/WELCOME/generate", {"count": 1}, JSON_ADMIN_AUTH))[1]["codes"][0]
            status, held, _ = await post(client, "/pos/coupons/reserve", {"code": code, "transactionId": "TR"})
            assert status == 200
            pause_writes_after(services.store.coupons, "_reservation", paused_redis.url)
            headers = {**JSON_AUTH, "Idempotency-Key": "redeem-TR"}
            redeem = {"reservationId": held["reservationId"]}
            assert (await post(client, "/pos/coupons/redeem", redeem, headers))[0] == 503

            status, body, _ = await retry_until_not_503(client, "/pos/coupons/redeem", redeem, headers)
            assert status == 200 and body["status"] == "REDEEMED"
            assert (await services.store.coupons.get(TENANT, code))["status"] == "REDEEMED"
