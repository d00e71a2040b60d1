"""`dre evaluate`: price one request against a promotion file, with no server and no store."""
from __future__ import annotations

import time
import uuid
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson

from dre.basket import parse_evaluate_body
from dre.errors import DREError, invalid
from dre.pricing.coupons import apply_stacking
from dre.promotion.rules_file import load_rules
from dre.response import build_response
from dre.zones import is_zone_name
from kernels import KernelSet

ORJSON_OPTS = orjson.OPT_INDENT_2


def evaluate_file(promotions_path: Path, request_bytes: bytes, time_zone: str | None = None) -> dict:
    """The EvaluateResponseV2 for one request body; ``time_zone`` (an IANA name) is the store's, as
    ``/admin/stores`` would set it (None: the timestamp's own offset). Raises DREError on bad input."""
    if time_zone is not None and not is_zone_name(time_zone):
        raise invalid(f"--time-zone {time_zone!r} is not an IANA time zone name (e.g. Europe/Berlin)")
    promos, ctx = load_rules(promotions_path)
    try:
        body = orjson.loads(request_bytes)
    except orjson.JSONDecodeError as e:
        raise invalid(f"request is not JSON ({e})") from None
    started = time.perf_counter()
    _, basket = parse_evaluate_body(body, zone=ZoneInfo(time_zone) if time_zone else None)
    engine = KernelSet(promos)
    result = engine.evaluate(basket, replace(ctx, coupons=apply_stacking(basket.coupons, ctx.coupons)))
    return build_response(basket, result, engine.by_id, transaction_id=basket.transaction_id or str(uuid.uuid4()),
                          counter=None, is_simulation=True, duration_ms=(time.perf_counter() - started) * 1000)


def error_json(e: DREError) -> bytes:
    return orjson.dumps(e.to_json(), option=ORJSON_OPTS)
