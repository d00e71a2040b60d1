"""Loyalty points, Idempotency-Keys, promotions and articles."""
import pytest

from dre.errors import DREError
from dre.store import keys


async def test_points_booked_once_per_event(store, tenant):
    first = await store.loyalty.book(tenant, "M1", "CHK1|2026-11-27", 90)
    assert (first.points_earned, first.total_points, first.replayed) == (90, 90, False)
    again = await store.loyalty.book(tenant, "M1", "CHK1|2026-11-27", 500)
    assert (again.points_earned, again.total_points, again.replayed) == (90, 90, True)
    other = await store.loyalty.book(tenant, "M1", "CHK2|2026-11-27", -40)
    assert (other.points_earned, other.total_points) == (-40, 50)
    assert await store.loyalty.points(tenant, "M1") == 50
    assert await store.loyalty.points(tenant, "NEW") is None


async def test_idempotency_key_lifecycle(store, tenant):
    a = await store.idempotency.claim(tenant, "confirm", "K1", "fp")
    assert a.state == "CLAIMED"
    assert (await store.idempotency.claim(tenant, "confirm", "K1", "fp")).state == "IN_PROGRESS"
    assert (await store.idempotency.claim(tenant, "confirm", "K1", "other")).state == "MISMATCH"
    assert await store.idempotency.put(tenant, "confirm", "K1", "not-the-owner", 200, "{}") is False
    assert await store.idempotency.put(tenant, "confirm", "K1", a.owner, 201, '{"x":1}') is True
    replay = await store.idempotency.claim(tenant, "confirm", "K1", "fp")
    assert (replay.state, replay.status, replay.body) == ("DONE", 201, '{"x":1}')
    assert await store.idempotency.put(tenant, "confirm", "K1", a.owner, 500, "{}") is False
    assert (await store.idempotency.claim(tenant, "confirm", "K1", "fp")).body == '{"x":1}'
    ttl = store.core.client.pttl(keys.idempotency(tenant, "confirm", "K1"))
    assert 23 * 3600 * 1000 < ttl <= 24 * 3600 * 1000


async def test_idempotency_release_lets_a_retry_run(store, tenant):
    a = await store.idempotency.claim(tenant, "reserve", "K", "fp")
    assert await store.idempotency.release(tenant, "reserve", "K", "someone-else") is False
    assert await store.idempotency.release(tenant, "reserve", "K", a.owner) is True
    assert (await store.idempotency.claim(tenant, "reserve", "K", "fp")).state == "CLAIMED"


async def test_promotions_with_version_and_articles(store, tenant):
    assert await store.promotions.version(tenant) == 0
    assert await store.promotions.put(tenant, "P1", '{"id":"P1"}') == 1
    assert await store.promotions.put(tenant, "P2", '{"id":"P2"}') == 2
    assert await store.promotions.delete(tenant, "P1") == 3
    with pytest.raises(DREError) as e:
        await store.promotions.delete(tenant, "P1")
    assert e.value.status == 404
    assert await store.promotions.all(tenant) == {"P2": '{"id":"P2"}'}
    assert await store.articles.put(tenant, {"A1": "{}", "A2": "{}"}) == 2
    assert await store.articles.get(tenant, ["A2", "A9"]) == ["{}", None]


async def test_a_large_award_replays_exactly(store, tenant):
    """1e14 points were kept as "1e+14" in the event marker, and its replay failed (a 500)."""
    first = await store.loyalty.book(tenant, "M9", "BIG|2026-11-27", 10**14)
    again = await store.loyalty.book(tenant, "M9", "BIG|2026-11-27", 10**14)
    assert (first.points_earned, first.total_points, first.replayed) == (10**14, 10**14, False)
    assert (again.points_earned, again.total_points, again.replayed) == (10**14, 10**14, True)
    assert await store.loyalty.points(tenant, "M9") == 10**14


async def test_points_beyond_exact_doubles_are_refused_and_book_nothing(store, tenant):
    with pytest.raises(DREError) as err:
        await store.loyalty.book(tenant, "M9", "HUGE|2026-11-27", 2**53)
    assert err.value.status == 400
    assert await store.loyalty.points(tenant, "M9") is None
