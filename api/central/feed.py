"""The delta feed a local instance pulls (central side): what changed after its cursor.

The cursor is ``<promotions version>.<article change sequence>.<code change sequence>`` (a
cursor of two parts, from an older release, reads as code sequence 0: every code once). Promotions, coupon types and
store settings (time zones) come as a whole set, and only when the tenant's promotions version
moved (every promotion, coupon-type and store-settings write bumps it; sets are small and a
partial set could price wrongly). Articles come
one page at a time from the article change log (``articles_upsert.lua`` logs every write), so a
catalogue of a million articles is copied once and then only its changes. ``exhaustedBudgets``
(central's used-up budgets, a small set) comes every time: a store stops offering a promotion
that other stores used up, while it is online. INDIVIDUAL coupon codes come from the code change
log (every coupon script that creates or changes a code logs it in the same step, ``log_codes`` in
_common.lua; a confirm's claims by ``code_changes_log.lua``), each as it is now, a
page at a time, so that a store can honour them while central is away (by its type's
``offlinePolicy``). With ``?instance=`` (a local instance's id) the
page also carries that instance's budget leases (``actors.sync.leases``), granted or renewed
by this call, each with its expiry (``expiresAt``, epoch ms: DRE_LEASE_TTL_S after this call).
"""
from __future__ import annotations

import orjson

from actors.sync import ChangeFeed, Lease, Leases
from api.services import Services
from dre.errors import Issue, invalid
from dre.money import to_major
from dre.store.records import NO_LIMIT, now_ms

DEFAULT_PAGE = 5000  # articles per page
MAX_PAGE = 20_000


def parse_cursor(cursor: str | None) -> tuple[int, int, int]:
    """(promotions version, article sequence, code sequence); (-1, 0, 0) for no cursor
    (everything). Raises 400."""
    if not cursor:
        return -1, 0, 0
    parts = cursor.split(".")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        version, seq, code_seq = (int(p) for p in (*parts, "0")[:3])
        return version, seq, code_seq
    except ValueError:
        raise invalid("cursor is not one this feed issued",
                      [Issue("cursor", "expected <version>.<sequence>.<sequence>")]) from None


def page_size(limit: str | None) -> int:
    if limit is None:
        return DEFAULT_PAGE
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_PAGE:
        raise invalid(f"limit must be a whole number from 1 to {MAX_PAGE}", [Issue("limit", f"1..{MAX_PAGE}")])
    return int(limit)


def _share(limit: int, fraction: float) -> int:
    return max(1, int(limit * fraction))  # at least one cent / one redemption


async def grant_leases(services: Services, tenant: str, instance: str) -> dict[str, Lease]:
    """Grant or renew ``instance``'s lease of every active budgeted promotion (the worker's parsed
    set: no parsing per poll). {} with DRE_LEASE_FRACTION=0."""
    fraction = services.config.lease_fraction
    if fraction <= 0:
        return {}
    leases = Leases(services.store.core)
    now, ttl_ms = now_ms(), int(services.config.lease_ttl_s * 1000)  # each pull renews the expiry
    out = {}
    for pid, p in sorted(services.engine.current(tenant).by_id.items()):
        b = p.budget
        if b is None or not p.active or (b.amount is None and b.redemptions is None):
            continue
        limits = (NO_LIMIT if b.amount is None else b.amount, NO_LIMIT if b.redemptions is None else b.redemptions)
        shares = tuple(0 if lim == NO_LIMIT else _share(lim, fraction) for lim in limits)
        out[pid] = await leases.grant(tenant, instance, pid, limits, shares, now, ttl_ms)
    return out


async def store_settings(services: Services, tenant: str) -> dict:
    """The tenant's store settings as stored (``api.admin.stores`` wrote them validated):
    ``{"stores": {storeId: settings}, "default": settings or None}``."""
    stores = services.store.stores
    docs = await stores.all(tenant)
    default = await stores.default(tenant)
    return {"stores": {sid: orjson.loads(docs[sid]) for sid in sorted(docs)},
            "default": orjson.loads(default) if default else None}


async def feed_page(services: Services, tenant: str, cursor: str | None, limit: int,
                    instance: str | None = None) -> dict:
    """One page of the feed (api.central.schemas.SyncFeed); with ``instance``, that instance's
    budget leases are granted or renewed first, and sent."""
    seen_version, seen_seq, seen_codes = parse_cursor(cursor)
    store = services.store
    # version first: a write landing between the reads makes the set newer than its version,
    # and the next pull sends it again
    leases = await grant_leases(services, tenant, instance) if instance else {}
    version = await store.promotions.version(tenant)
    promotions = coupon_types = settings = None
    if version != seen_version:
        docs = await store.promotions.all(tenant)
        promotions = [orjson.loads(docs[k]) for k in sorted(docs)]
        coupon_types = [orjson.loads(t["json"]) for t in await store.coupon_types.all(tenant) if t.get("json")]
        settings = await store_settings(services, tenant)
    changes = ChangeFeed(store.core)
    articles, seq, more = await changes.articles_after(tenant, seen_seq, limit)
    codes, code_seq, more_codes = await changes.codes_after(tenant, seen_codes, limit)
    return {"cursor": f"{version}.{seq}.{code_seq}", "promotionsVersion": version, "promotions": promotions,
            "couponTypes": coupon_types, "storeSettings": settings,
            "articles": [orjson.loads(doc) for _, doc in articles], "codes": codes, "more": more or more_codes,
            # a budget all leased out is no reason for a store to stop using its own lease
            "exhaustedBudgets": sorted(await store.budgets.exhausted(tenant) - leases.keys()),
            "leases": {pid: {"amount": None if lease.amount is None else to_major(lease.amount),
                             "redemptions": lease.redemptions, "expiresAt": lease.expires_at}
                       for pid, lease in leases.items()}}
