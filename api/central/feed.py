"""The delta feed a local instance pulls (central side): what changed after its cursor.

The cursor is ``<promotions version>.<article change sequence>``. Promotions and coupon types
come as a whole set, and only when the tenant's promotions version moved (every promotion and
coupon-type write bumps it; sets are small and a partial set could price wrongly). Articles come
one page at a time from the article change log (``articles_upsert.lua`` logs every write), so a
catalogue of a million articles is copied once and then only its changes. ``exhaustedBudgets``
(central's used-up budgets, a small set) comes every time: a store stops offering a promotion
that other stores used up, while it is online.
"""
from __future__ import annotations

import orjson

from actors.sync import ChangeFeed
from api.services import Services
from dre.errors import Issue, invalid

DEFAULT_PAGE = 5000  # articles per page
MAX_PAGE = 20_000


def parse_cursor(cursor: str | None) -> tuple[int, int]:
    """(promotions version, article sequence); (-1, 0) for no cursor (everything). Raises 400."""
    if not cursor:
        return -1, 0
    version, sep, seq = cursor.partition(".")
    try:
        if not sep:
            raise ValueError
        return int(version), int(seq)
    except ValueError:
        raise invalid("cursor is not one this feed issued", [Issue("cursor", "expected <version>.<sequence>")]) \
            from None


def page_size(limit: str | None) -> int:
    if limit is None:
        return DEFAULT_PAGE
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_PAGE:
        raise invalid(f"limit must be a whole number from 1 to {MAX_PAGE}", [Issue("limit", f"1..{MAX_PAGE}")])
    return int(limit)


async def feed_page(services: Services, tenant: str, cursor: str | None, limit: int) -> dict:
    """One page of the feed (api.central.schemas.SyncFeed)."""
    seen_version, seen_seq = parse_cursor(cursor)
    store = services.store
    # version first: a write landing between the reads makes the set newer than its version,
    # and the next pull sends it again
    version = await store.promotions.version(tenant)
    promotions = coupon_types = None
    if version != seen_version:
        docs = await store.promotions.all(tenant)
        promotions = [orjson.loads(docs[k]) for k in sorted(docs)]
        coupon_types = [orjson.loads(t["json"]) for t in await store.coupon_types.all(tenant) if t.get("json")]
    articles, seq, more = await ChangeFeed(store.core).articles_after(tenant, seen_seq, limit)
    return {"cursor": f"{version}.{seq}", "promotionsVersion": version, "promotions": promotions,
            "couponTypes": coupon_types, "articles": [orjson.loads(doc) for _, doc in articles], "more": more,
            "exhaustedBudgets": sorted(await store.budgets.exhausted(tenant))}
