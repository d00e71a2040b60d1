"""Idempotency-Key on POST routes: replay of the first answer, reuse with another body, a duplicate
in flight, 5xx not kept, keys per tenant."""
from __future__ import annotations

import orjson
import pytest

from api.http.idempotency import fingerprint
from dre.store import keys
from tests.api import promos
from tests.api.conftest import JSON_ADMIN_AUTH, OTHER_ADMIN_KEY, TENANT, post
from tests.api.flows import confirm, coupon_types, evaluate, item, load

ISSUE = {"couponTypeId": "THX", "customerIds": ["C1"]}


def with_key(key: str, auth: dict = JSON_ADMIN_AUTH) -> dict:  # admin: issue is admin-only
    return {**auth, "Idempotency-Key": key}


@pytest.fixture
async def codes(services):
    await load(services, promos.ALL)
    return await coupon_types(services)


def coupon_count(rdb) -> int:
    return sum(1 for _ in rdb.scan_iter(keys.coupon(TENANT, "THX*")))


async def test_replay_returns_the_first_answer_and_changes_nothing(client, codes, rdb):
    s1, first, r1 = await post(client, "/pos/coupons/issue", ISSUE, with_key("k1"))
    assert s1 == 200 and "Idempotent-Replayed" not in r1.headers
    s2, again, r2 = await post(client, "/pos/coupons/issue", ISSUE, with_key("k1"))
    assert (s2, again) == (200, first) and r2.headers["Idempotent-Replayed"] == "true"
    assert r2.headers["Content-Type"] == "application/json"
    assert coupon_count(rdb) == 1  # issue is not idempotent by itself: the key made the retry safe
    s3, other, _ = await post(client, "/pos/coupons/issue", ISSUE, with_key("k2"))
    assert s3 == 200 and other != first and coupon_count(rdb) == 2
    assert 0 < rdb.pttl(keys.idempotency(TENANT, "/pos/coupons/issue", "k1")) <= 24 * 3600 * 1000


async def test_error_answers_are_replayed_too(client, codes):
    body = {"reservationId": "Rnope"}
    s1, first, _ = await post(client, "/pos/coupons/redeem", body, with_key("k1"))
    s2, again, r2 = await post(client, "/pos/coupons/redeem", body, with_key("k1"))
    assert (s1, s2) == (404, 404) and first == again and r2.headers["Idempotent-Replayed"] == "true"


async def test_same_key_other_body_is_422_and_runs_nothing(client, codes, rdb):
    await post(client, "/pos/coupons/issue", ISSUE, with_key("k1"))
    status, body, _ = await post(client, "/pos/coupons/issue", {**ISSUE, "customerIds": ["C2"]}, with_key("k1"))
    assert (status, body["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert coupon_count(rdb) == 1


async def test_a_duplicate_in_flight_is_409(client, services, codes, rdb):
    raw = orjson.dumps(ISSUE)
    # the first request has claimed the key and is still running
    await services.store.idempotency.claim(TENANT, "/pos/coupons/issue", "k1",
                                           fingerprint("POST", "/pos/coupons/issue?", raw))
    status, body, _ = await post(client, "/pos/coupons/issue", ISSUE, with_key("k1"))
    assert (status, body["error"]["code"]) == (409, "IN_PROGRESS")
    assert coupon_count(rdb) == 0


async def test_keys_are_per_tenant_and_per_route(client, services, codes, rdb):
    await post(client, "/pos/coupons/issue", ISSUE, with_key("k1"))
    other = {"Authorization": f"Bearer {OTHER_ADMIN_KEY}", "Content-Type": "application/json"}
    status, body, r = await post(client, "/pos/coupons/issue", ISSUE, with_key("k1", other))
    assert status == 404 and "Idempotent-Replayed" not in r.headers  # globex has no THX type: ran for real
    status, _, r = await post(client, "/pos/coupons/validate", {"code": "X"}, with_key("k1"))
    assert status == 200 and "Idempotent-Replayed" not in r.headers


async def test_evaluate_with_a_key_issues_one_counter(client, codes, rdb):
    from tests.api.flows import request

    body = request("T1", [item("1", "A", 1, 10.00)])
    s1, first, _ = await post(client, "/pos/v2/evaluate", body, with_key("e1"))
    s2, again, r2 = await post(client, "/pos/v2/evaluate", body, with_key("e1"))
    assert s1 == s2 == 200 and again == first and r2.headers["Idempotent-Replayed"] == "true"
    assert rdb.get(keys.txn_counter(TENANT, "T1")) == "1"


async def test_confirm_with_a_key(client, codes, rdb):
    await evaluate(client, "T1", [item("1", "A", 1, 10.00)])
    s1, _, raw1 = await confirm(client, "T1", 1, with_key("c1"))
    s2, _, raw2 = await confirm(client, "T1", 1, with_key("c1"))
    assert s1 == s2 == 200 and raw1 == raw2
    assert rdb.hget(keys.budget(TENANT, "BUD"), "amount_consumed") == "100"


@pytest.mark.parametrize("key", ["", "x" * 256, "schlüssel"])
async def test_malformed_keys_are_400(client, codes, key):
    status, body, _ = await post(client, "/pos/coupons/validate", {"code": "X"}, with_key(key))
    assert (status, body["error"]["code"]) == (400, "INVALID_INPUT")


async def test_a_5xx_answer_is_not_kept_the_retry_runs_for_real(client, services, codes, rdb, monkeypatch):
    """A 503 says nothing happened: keeping it would replay the failure to every retry."""
    from dre.store.replies import store_unavailable

    real_issue = services.store.coupons.issue
    failures = []

    async def fails_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise store_unavailable("planted: the store refused this one call")
        return await real_issue(*args, **kwargs)

    monkeypatch.setattr(services.store.coupons, "issue", fails_once)
    status, body, _ = await post(client, "/pos/coupons/issue", ISSUE, with_key("k5"))
    assert (status, body["error"]["code"]) == (503, "STORE_UNAVAILABLE")
    assert coupon_count(rdb) == 0
    status, body, r = await post(client, "/pos/coupons/issue", ISSUE, with_key("k5"))
    assert status == 200 and "Idempotent-Replayed" not in r.headers
    assert coupon_count(rdb) == 1


async def test_one_key_sent_twice_at_the_same_instant_runs_once(client, codes, rdb):
    import trio

    answers = []

    async def send():
        answers.append(await post(client, "/pos/coupons/issue", ISSUE, with_key("k6")))

    async with trio.open_nursery() as nursery:
        for _ in range(2):
            nursery.start_soon(send)
    statuses = sorted(status for status, _, _ in answers)
    assert statuses in ([200, 200], [200, 409]), statuses  # a replay, or "in progress" while the first ran
    assert coupon_count(rdb) == 1
    replayed = [r for status, _, r in answers if status == 200 and r.headers.get("Idempotent-Replayed")]
    if statuses == [200, 200]:
        assert len(replayed) == 1 and answers[0][1] == answers[1][1]
