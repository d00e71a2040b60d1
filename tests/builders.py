"""Small builders for promotions and baskets in tests (contract JSON in, domain objects out)."""
from __future__ import annotations

from dre.basket import Basket, parse_evaluate_body
from dre.promotion import parse_promotion
from dre.promotion.model import Promotion

DEFAULT_TIME = "2026-11-27T10:15:00+01:00"  # a Friday


def promo(pid: str = "P1", actions: list | None = None, **fields) -> Promotion:
    data = {"id": pid, "name": fields.pop("name", f"promo {pid}"), "type": fields.pop("type", "ARTICLE"),
            "actions": actions or [], **fields}
    return parse_promotion(data)


def item(ref: str, article: str, qty, price, group: str | None = None) -> dict:
    it = {"lineReference": ref, "articleNumber": article, "quantity": qty, "unitPrice": price}
    if group:
        it["articleGroupId"] = group
    return it


def basket(*items: dict, coupons: tuple[str, ...] = (), **req) -> Basket:
    header = {"transactionId": "T1", "timestamp": req.pop("timestamp", DEFAULT_TIME)}
    body = {"request": {"header": header, "posGroupCode": req.pop("posGroupCode", "DE-NORTH"),
                        "items": list(items), "coupons": [{"code": c} for c in coupons], **req}}
    return parse_evaluate_body(body)[1]
