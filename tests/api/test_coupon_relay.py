"""api.coupons.offline.central_error: a coupon call a local instance passed on and central
refused is raised again as the DREError central raised, so the instance answers it in the
request's own surface's error shape (REST or OData)."""
from __future__ import annotations

import httpx
import orjson

from api.coupons.offline import central_error
from dre.errors import Issue


def test_central_refusal_becomes_the_same_error_and_an_unreadable_one_says_so():
    body = {"error": {"code": "COUPON_UNAVAILABLE", "message": "coupon X: ALREADY_REDEEMED",
                      "details": [{"path": "X", "issue": "ALREADY_REDEEMED"}]}}
    err = central_error(httpx.Response(409, content=orjson.dumps(body)))
    assert (err.status, err.code, err.message, err.details) == (
        409, "COUPON_UNAVAILABLE", "coupon X: ALREADY_REDEEMED", [Issue("X", "ALREADY_REDEEMED")])
    assert err.to_json() == body
    odd = central_error(httpx.Response(404, content=b"<html>not here</html>"))
    assert (odd.status, odd.code) == (404, "CENTRAL_REFUSED")
