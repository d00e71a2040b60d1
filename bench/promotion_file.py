"""A synthetic promotion file in the contract's wire format, over bench.catalogue's articles.

The mix follows bench.engine's heavy mix (~87 % article, 3 % group, 4 % bundle, 3 % gift, 3 %
quantity tier) with its realistic caps on the set-wide kinds (receipt level gated by pos group and
MIN_SPEND: 1 %, at most RECEIPT_CAP; loyalty: 1 %, at most LOYALTY_CAP), but written as
the JSON a customer loads (``DRE_PROMOTIONS_FILE``, ``/admin/promotions``), so that a benchmark
can start ``dre serve`` with it. Seeded: the same (n, seed) gives the same file.
"""
from __future__ import annotations

import random
from pathlib import Path

import orjson

from bench.catalogue import article_number, group_id
from bench.flows import POS_GROUPS

RECEIPT_CAP, LOYALTY_CAP = 50, 20  # a real set does not grow these with its article promotions
VALID_FROM, VALID_TO = "2026-01-01T00:00:00Z", "2027-12-31T23:59:59Z"


def wire_promotions(n: int, articles: int, groups: int, seed: int = 2) -> list[dict]:
    """``n`` promotion JSON objects over articles ``A000001``.. (``articles``) and groups (``groups``)."""
    rng = random.Random(seed + n)

    def arts(k: int) -> list[str]:
        return sorted({article_number(rng.randrange(articles)) for _ in range(k)})

    def pct() -> int:
        return rng.choice([5, 10, 15, 20, 25, 30, 50])

    out = []
    receipt = loyalty = 0
    for i in range(n):
        p: dict = {"id": f"P{i:06d}", "name": f"Promotion {i}", "type": "ARTICLE", "validFrom": VALID_FROM,
                   "validTo": VALID_TO, "priority": rng.randrange(10)}
        if rng.random() < 0.2:
            p["calculationMode"] = "MULTIPLICATIVE"
        r = rng.random()
        if r < 0.85:
            a = arts(rng.randint(1, 3))
            action: dict = {"type": "ARTICLE", "values": a}
            if rng.random() < 0.7:
                action["percentOff"] = pct()
            else:
                action["amountOff"] = rng.choice([0.1, 0.2, 0.5, 1.0])
            if rng.random() < 0.1:
                action["maxQuantity"] = 2
            p["conditions"] = [{"type": "ARTICLE", "values": a}]
            if rng.random() < 0.1:
                p["conditions"].append({"type": "MIN_QUANTITY", "value": 2})
            p["exclusive"] = rng.random() < 0.02
            p["actions"] = [action]
        elif r < 0.88:
            g = [group_id(rng.randrange(groups))]
            p["conditions"] = [{"type": "ARTICLE_GROUP", "values": g}]
            p["actions"] = [{"type": "ARTICLE_GROUP", "values": g, "percentOff": pct()}]
        elif r < 0.92:
            a, b = arts(2), arts(2)
            p["type"] = "BUNDLE"
            p["conditions"] = [{"type": "ARTICLE", "values": sorted(set(a) | set(b))}]
            p["actions"] = [{"type": "BUNDLE", "components": [{"values": a, "quantity": 1},
                                                             {"values": b, "quantity": 1}], "bundlePrice": 3.0}]
        elif r < 0.95:
            a = arts(2)
            p["conditions"] = [{"type": "ARTICLE", "values": a}]
            p["actions"] = [{"type": "FREE_ITEM", "buy": {"values": a, "quantity": 2},
                             "get": {"values": a, "quantity": 1}}]
        elif r < 0.98:
            a = arts(3)
            p["conditions"] = [{"type": "ARTICLE", "values": a}]
            p["actions"] = [{"type": "QUANTITY_TIER", "values": a, "tiers": [
                {"minQuantity": 2, "percentOff": 10}, {"minQuantity": 4, "percentOff": 20}]}]
        elif r < 0.99 and receipt < RECEIPT_CAP:
            receipt += 1
            p["type"] = "RECEIPT"
            p["posGroups"] = [rng.choice(POS_GROUPS)]
            p["exclusive"] = rng.random() < 0.3
            p["conditions"] = [{"type": "MIN_SPEND", "value": rng.choice([20, 50, 200]), "scope": "RECEIPT"}]
            p["actions"] = ([{"type": "RECEIPT", "percentOff": pct()}] if rng.random() < 0.5 else
                            [{"type": "SCALED_RECEIPT", "tiers": [{"minSpend": 50, "amountOff": 5},
                                                                  {"minSpend": 100, "amountOff": 15}]}])
        elif r >= 0.99 and loyalty < LOYALTY_CAP:
            loyalty += 1
            p["type"] = "LOYALTY"
            p["posGroups"] = [rng.choice(POS_GROUPS)]
            p["conditions"] = [{"type": "CHANNEL", "values": ["IN_STORE"]}]
            p["actions"] = [{"type": "CURRENCY_TO_POINTS", "points": 1, "per": 1.0}]
        else:  # past a cap: one more article promotion
            a = arts(1)
            p["conditions"] = [{"type": "ARTICLE", "values": a}]
            p["actions"] = [{"type": "ARTICLE", "values": a, "percentOff": pct()}]
        out.append(p)
    return out


def write_promotion_file(path: Path, n: int, articles: int, groups: int, seed: int = 2) -> Path:
    """Write ``wire_promotions(n, ...)`` as a JSON array to ``path``; returns ``path``."""
    path.write_bytes(orjson.dumps(wire_promotions(n, articles, groups, seed)))
    return path
