"""The outcome journal (actors/operation.py): inside a request's operation every script records
its reply atomically with its writes, and a second attempt of the same request meets that reply
instead of running the script again. Against a real redis-server."""
from __future__ import annotations

import redis

from actors import operation
from dre.errors import DREError
from dre.store import keys
from dre.store.scripts import UNJOURNALED, Scripts, script_names


def attempt(tenant: str, key: str = "K", body: str = "body"):
    """One attempt of a request (a new Operation each time, as each HTTP attempt gets one)."""
    return operation.begin(tenant, "/route", key, body)


async def test_a_second_attempt_meets_the_first_reply_and_writes_nothing(store, tenant, redis_url):
    rdb = redis.Redis.from_url(redis_url, decode_responses=True)
    _, token = attempt(tenant)
    try:
        first = await store.transactions.next_counter(tenant, "T1", "{}")
    finally:
        operation.end(token)
    _, token = attempt(tenant)  # the retry: same tenant, route, key and body
    try:
        again = await store.transactions.next_counter(tenant, "T1", "{}")
    finally:
        operation.end(token)
    assert first == again == 1
    assert rdb.get(keys.txn_counter(tenant, "T1")) == "1"  # INCR ran once
    # another body under the key is another request, and so is no operation at all
    _, token = attempt(tenant, body="other")
    try:
        assert await store.transactions.next_counter(tenant, "T1", "{}") == 2
    finally:
        operation.end(token)
    assert await store.transactions.next_counter(tenant, "T1", "{}") == 3


async def test_replies_come_back_exactly_tables_errors_and_big_numbers(store, tenant):
    """Generated codes (a table), a reservation (with its expiry, ms past 2^40), a redemption
    (not idempotent by itself) and an error reply: each retry meets each first reply exactly."""
    await store.coupon_types.put(tenant, "WELCOME", kind="INDIVIDUAL", prefix="WEL", valid_to_ms=1_900_000_000_000)

    async def request_once():
        _, token = attempt(tenant)
        try:
            made = await store.coupons.generate(tenant, "WELCOME", 3)
            held = await store.coupons.reserve(tenant, made[0], "T1")
            return made, held, await store.coupons.redeem(tenant, held.reservation_id, now=held.expires_at_ms - 1)
        finally:
            operation.end(token)

    first, again = await request_once(), await request_once()
    assert first == again and first[1].expires_at_ms > 2**40
    assert (await store.coupons.get(tenant, first[0][0]))["status"] == "REDEEMED"

    async def redeem_again(key: str) -> str:
        _, token = attempt(tenant, key=key)
        try:
            await store.coupons.redeem(tenant, first[1].reservation_id)
        except DREError as err:
            return err.code
        finally:
            operation.end(token)
        return "redeemed"

    assert await redeem_again("K2") == await redeem_again("K2") == "ALREADY_REDEEMED"


def test_every_script_but_the_claims_own_has_a_journaled_form_that_compiles(redis_url):
    client = redis.Redis.from_url(redis_url)
    scripts = Scripts.register(client)
    journaled = [n for n in script_names() if scripts.journaled(getattr(scripts, n)) is not None]
    assert sorted(journaled) == sorted(set(script_names()) - set(UNJOURNALED))
    for script in scripts.all():
        assert client.script_load(script.script) == script.sha
