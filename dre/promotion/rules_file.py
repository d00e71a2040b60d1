"""A promotion (rules) file: a JSON array of promotions, or ``{"promotions": [...], "couponTypes": [...]}``.

Read by the service at start-up (DRE_PROMOTIONS_FILE), by `dre evaluate` and by `dre simulate`.
"""
from __future__ import annotations

from pathlib import Path

import orjson

from dre.errors import invalid
from dre.pricing import USABLE, Context, CouponCheck
from dre.promotion.cache import PromotionCache, no_gc
from dre.promotion.gates import apply_coupon_gates
from dre.promotion.parse import parse_promotions

VALIDATED = "rules-validated"  # PromotionCache kind: the file's Context, stored once its rules validated


def read_rules_file(path: Path, data: bytes | None = None) -> tuple[object, list[dict]]:
    """A promotion file's raw (promotions, coupon types): a JSON array of promotions, or
    ``{"promotions": [...], "couponTypes": [...]}``. Raises DREError 400 when unreadable.
    ``data``: the file's bytes, read already."""
    try:
        data = orjson.loads(path.read_bytes() if data is None else data)
    except OSError as e:
        raise invalid(f"{path}: {e}") from None
    except orjson.JSONDecodeError as e:
        raise invalid(f"{path}: not JSON ({e})") from None
    if isinstance(data, dict):
        return data.get("promotions"), list(data.get("couponTypes", []))
    return data, []


_LAST: dict[tuple, tuple[list, Context]] = {}  # the last file loaded, by (path, mtime, size)
_LAST_TYPES: dict[tuple, list[dict]] = {}  # its raw coupon types, by the same key


def _file_key(path: Path) -> tuple | None:
    try:
        st = path.stat()
        return (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        return None


def load_rules(path: Path, cache: PromotionCache | None = None) -> tuple[list, Context]:
    """A promotion file's validated promotions (coupon gates applied) and offline context.

    The last file's answer is kept while the file is unchanged (same modification time and size):
    `dre serve` checks the file before it starts and its worker then loads it, and 100,000
    promotions take ~10 s to validate. Callers must not change the list. With ``cache``, a file
    that validates is remembered there (:func:`validated_context` finds it on the next start).
    """
    key = _file_key(path)
    if key is not None and key in _LAST:
        return _LAST[key]
    data = _read(path)
    with no_gc():
        promotions, types = read_rules_file(path, data)
        rules = rules_from_json(promotions, types)
    if cache is not None:
        cache.put(VALIDATED, cache.key(data), rules[1])
    if key is not None:
        _LAST.clear()
        _LAST_TYPES.clear()
        _LAST[key], _LAST_TYPES[key] = rules, types
    return rules


def raw_coupon_types(path: Path) -> list[dict]:
    """The file's ``couponTypes`` as written (not validated): those :func:`load_rules` read, while
    the file is unchanged (the 31 MB of a 100,000-promotion file are not parsed again: ~3 s with
    the collector on), else read now. Raises DREError 400 when unreadable."""
    key = _file_key(path)
    if key is not None and key in _LAST_TYPES:
        return _LAST_TYPES[key]
    with no_gc():
        return read_rules_file(path)[1]


def validated_context(path: Path, cache: PromotionCache) -> Context | None:
    """The file's offline context if this very file (its bytes) validated under this code before
    (:func:`load_rules` with the cache), else None: then it has to be validated again."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    ctx = cache.get(VALIDATED, cache.key(data))
    return ctx if isinstance(ctx, Context) else None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise invalid(f"{path}: {e}") from None


def rules_from_json(promotions: object, coupon_types: list[dict]) -> tuple[list, Context]:
    """Validated promotions with their coupon-type gates, and a Context knowing the GENERIC codes.

    Coupon types let authors test coupon promotions offline: a GENERIC type's ``code`` counts as
    usable (unless the type is INACTIVE; its ``isStackable`` is kept for the stacking rule), and
    the types' ``promotionIds`` gate those promotions on their codes (the same gating the service
    applies to the store's coupon types: dre.promotion.apply_coupon_gates).
    """
    checks = {ct["code"]: CouponCheck(ct["code"], USABLE, ct["id"], stackable=ct.get("isStackable", True) is not False)
              for ct in coupon_types
              if ct.get("type") == "GENERIC" and ct.get("code") and ct.get("status", "ACTIVE") != "INACTIVE"}
    return apply_coupon_gates(parse_promotions(promotions), coupon_types), Context(coupons=checks)
