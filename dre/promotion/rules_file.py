"""A promotion (rules) file: a JSON array of promotions, or ``{"promotions": [...], "couponTypes": [...]}``.

Read by the service at start-up (DRE_PROMOTIONS_FILE), by `dre evaluate` and by `dre simulate`.
"""
from __future__ import annotations

from pathlib import Path

import orjson

from dre.errors import invalid
from dre.pricing import USABLE, Context, CouponCheck
from dre.promotion.gates import apply_coupon_gates
from dre.promotion.parse import parse_promotions


def read_rules_file(path: Path) -> tuple[object, list[dict]]:
    """A promotion file's raw (promotions, coupon types): a JSON array of promotions, or
    ``{"promotions": [...], "couponTypes": [...]}``. Raises DREError 400 when unreadable."""
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as e:
        raise invalid(f"{path}: {e}") from None
    except orjson.JSONDecodeError as e:
        raise invalid(f"{path}: not JSON ({e})") from None
    if isinstance(data, dict):
        return data.get("promotions"), list(data.get("couponTypes", []))
    return data, []


_LAST: dict[tuple, tuple[list, Context]] = {}  # the last file loaded, by (path, mtime, size)


def load_rules(path: Path) -> tuple[list, Context]:
    """A promotion file's validated promotions (coupon gates applied) and offline context.

    The last file's answer is kept while the file is unchanged (same modification time and size):
    `dre serve` checks the file before it starts and its worker then loads it, and 100,000
    promotions take ~10 s to validate. Callers must not change the list.
    """
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        key = None
    if key is not None and key in _LAST:
        return _LAST[key]
    rules = rules_from_json(*read_rules_file(path))
    if key is not None:
        _LAST.clear()
        _LAST[key] = rules
    return rules


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
