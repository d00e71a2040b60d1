"""`dre evaluate`: price one request against a promotion file, with no server and no store."""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import orjson

from dre.basket import parse_evaluate_body
from dre.errors import DREError, invalid
from dre.evaluate import USABLE, Context, CouponCheck
from dre.promotion import apply_coupon_gates, parse_promotions

ORJSON_OPTS = orjson.OPT_INDENT_2


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


def load_rules(path: Path) -> tuple[list, Context]:
    """A promotion file's validated promotions (coupon gates applied) and offline context."""
    return rules_from_json(*read_rules_file(path))


def rules_from_json(promotions: object, coupon_types: list[dict]) -> tuple[list, Context]:
    """Validated promotions with their coupon-type gates, and a Context knowing the GENERIC codes.

    Coupon types let authors test coupon promotions offline: a GENERIC type's ``code`` counts as
    usable, and the types' ``promotionIds`` gate those promotions on their codes (the same
    gating the service applies to the store's coupon types: dre.promotion.apply_coupon_gates).
    """
    checks = {ct["code"]: CouponCheck(ct["code"], USABLE, ct["id"])
              for ct in coupon_types if ct.get("type") == "GENERIC" and ct.get("code")}
    return apply_coupon_gates(parse_promotions(promotions), coupon_types), Context(coupons=checks)


def evaluate_file(promotions_path: Path, request_bytes: bytes) -> dict:
    """The EvaluateResponseV2 for one request body. Raises DREError on bad input."""
    from dre.response import build_response
    from kernels import KernelSet

    promos, ctx = load_rules(promotions_path)
    try:
        body = orjson.loads(request_bytes)
    except orjson.JSONDecodeError as e:
        raise invalid(f"request is not JSON ({e})") from None
    started = time.perf_counter()
    _, basket = parse_evaluate_body(body)
    engine = KernelSet(promos)
    result = engine.evaluate(basket, ctx)
    return build_response(basket, result, engine.by_id, transaction_id=basket.transaction_id or str(uuid.uuid4()),
                          counter=None, is_simulation=True, duration_ms=(time.perf_counter() - started) * 1000)


def error_json(e: DREError) -> bytes:
    return orjson.dumps(e.to_json(), option=ORJSON_OPTS)
