"""`dre evaluate` (cli.evaluate) and coupons: the offline pricer applies the coupon rules of the
promotion file's coupon types as the service does (an INACTIVE type's code is not usable;
isStackable)."""
from __future__ import annotations

import orjson

from cli.evaluate import evaluate_file

PROMOS = [{"id": f"P-{t}", "name": f"1.00 off with {t}", "type": "COUPON",
           "conditions": [{"type": "COUPON", "couponTypeIds": [t]}],
           "actions": [{"type": "RECEIPT", "amountOff": 1.00}]}
          for t in ("A", "SOLO", "OFF")]
TYPES = [{"id": "A", "type": "GENERIC", "code": "CODE-A"},
         {"id": "SOLO", "type": "GENERIC", "code": "CODE-SOLO", "isStackable": False},
         {"id": "OFF", "type": "GENERIC", "code": "CODE-OFF", "status": "INACTIVE"}]


def results(tmp_path, codes: list[str]) -> list[tuple[str, str, str | None]]:
    path = tmp_path / "promotions.json"
    path.write_bytes(orjson.dumps({"promotions": PROMOS, "couponTypes": TYPES}))
    request = {"request": {"header": {"transactionId": "T1", "timestamp": "2026-11-27T10:15:00+01:00"},
                           "posGroupCode": "DE-NORTH",
                           "items": [{"lineReference": "1", "articleNumber": "X", "quantity": 1, "unitPrice": 10.00,
                                      "articleGroupId": "G"}],
                           "coupons": [{"code": c} for c in codes]}}
    body = evaluate_file(path, orjson.dumps(request))
    return [(c["code"], c["status"], c["reason"]) for c in body["couponResults"]]


def test_a_non_stackable_code_is_not_combined_offline_either(tmp_path):
    assert results(tmp_path, ["CODE-A", "CODE-SOLO"]) == [
        ("CODE-A", "APPLIED", None), ("CODE-SOLO", "NOT_APPLICABLE", "NOT_STACKABLE")]
    assert results(tmp_path, ["CODE-SOLO", "CODE-A"]) == [
        ("CODE-SOLO", "APPLIED", None), ("CODE-A", "NOT_APPLICABLE", "NOT_STACKABLE")]


def test_the_code_of_an_inactive_type_is_not_usable_offline(tmp_path):
    assert results(tmp_path, ["CODE-OFF"]) == [("CODE-OFF", "INVALID", None)]
