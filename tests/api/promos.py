"""Promotions and coupon types the confirm / coupon API tests price with."""
from __future__ import annotations

BUDGETED = {"id": "BUD", "name": "1.00 off, budget 2.00", "type": "ARTICLE", "budget": {"amount": 2.00},
            "conditions": [{"type": "ARTICLE", "values": ["A"]}],
            "actions": [{"type": "ARTICLE", "values": ["A"], "amountOff": 1.00}]}
PER_CUSTOMER = {"id": "ONCE", "name": "0.50 off once per customer", "type": "ARTICLE",
                "budget": {"perCustomerRedemptions": 1},
                "actions": [{"type": "ARTICLE", "values": ["B"], "amountOff": 0.50}]}
WITH_COUPON = {"id": "CPN", "name": "2.00 off with a WELCOME or SUMMER code", "type": "COUPON",
               "conditions": [{"type": "COUPON", "couponTypeIds": ["WELCOME", "SUMMER"]}],
               "actions": [{"type": "RECEIPT", "amountOff": 2.00}]}
POINTS = {"id": "LOY", "name": "1 point per 1.00", "type": "LOYALTY",
          "actions": [{"type": "CURRENCY_TO_POINTS", "points": 1, "per": 1.00}]}
THANKS = {"id": "THANKS", "name": "a coupon for next time", "type": "RECEIPT",
          "conditions": [{"type": "MIN_SPEND", "value": 20, "scope": "RECEIPT"}],
          "actions": [{"type": "ISSUE_COUPON", "couponTypeId": "THX", "count": 1}]}
ALL = [BUDGETED, PER_CUSTOMER, WITH_COUPON, POINTS, THANKS]


async def put_coupon_types(store, tenant: str) -> list[str]:
    """WELCOME (INDIVIDUAL, 3 ACTIVE codes, returned), SUMMER (GENERIC, max 50), THX (post-purchase)."""
    await store.coupon_types.put(tenant, "WELCOME", kind="INDIVIDUAL", prefix="WEL", promotion_ids=["CPN"])
    await store.coupon_types.put(tenant, "SUMMER", kind="GENERIC", code="SUMMER", max_redemptions=50,
                                 promotion_ids=["CPN"])
    await store.coupon_types.put(tenant, "THX", kind="INDIVIDUAL", prefix="THX", valid_to_ms=1_900_000_000_000)
    return await store.coupons.generate(tenant, "WELCOME", 3)
