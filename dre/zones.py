"""Store time zones: the wall clock that TIME conditions and validity hours read.

A store may have an IANA time zone (``/admin/stores/{storeId}``), and the tenant a default for every
other store (``/admin/settings``). :class:`StoreZones` is one tenant's settings as a worker caches
them (the reloader builds it with the promotions); ``dre.basket.basket_from_request`` turns the
request's timestamp into the store's local time with it, once, before pricing: the reference
evaluator and the kernels both read ``Basket.time`` and never convert anything themselves.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, available_timezones

import orjson


NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})  # files of a system tz database that
# name no place (localtime is the host's own zone: a store's must not follow the server)


@functools.cache
def zone_names() -> frozenset[str]:
    """Every IANA name the time zone database knows (read once: it lists files)."""
    return frozenset(available_timezones()) - NOT_ZONES


def is_zone_name(name: str) -> bool:
    """True for an IANA time zone name (``Europe/Berlin``, ``UTC``); False for anything else,
    paths and ``localtime`` included."""
    return name in zone_names()


@dataclass(frozen=True)
class StoreZones:
    """One tenant's store time zones: ``by_store`` (storeId -> zone) over ``default``."""

    by_store: Mapping[str, ZoneInfo] = field(default_factory=dict)
    default: ZoneInfo | None = None

    def zone(self, store_id: str | None) -> ZoneInfo | None:
        """The store's zone, else the tenant default, else None (the timestamp's own offset)."""
        if store_id is not None:
            z = self.by_store.get(store_id)
            if z is not None:
                return z
        return self.default


NO_ZONES = StoreZones()  # a tenant without store settings


def _zone_of(document: str | bytes | None) -> ZoneInfo | None:
    """The timeZone of a stored settings document (None: none set, or not a known zone)."""
    if not document:
        return None
    try:
        name = orjson.loads(document).get("timeZone")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return ZoneInfo(name) if isinstance(name, str) and is_zone_name(name) else None


def store_zones(documents: Mapping[str, str], default: str | None) -> StoreZones:
    """The StoreZones of stored settings documents (storeId -> JSON) and the default's JSON.

    Every document was validated when written; one that no longer reads (written by hand, or a
    zone the database no longer knows) is left out: that store follows the default.
    """
    by_store = {sid: z for sid, doc in documents.items() if (z := _zone_of(doc)) is not None}
    return StoreZones(by_store, _zone_of(default))
