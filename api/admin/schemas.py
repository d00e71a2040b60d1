"""Bodies and answers of the admin routes (promotions, coupon types, budgets, store settings), for the
OpenAPI document."""
from __future__ import annotations

from pydantic import BaseModel, Field

from dre.wire.coupon_type import CouponTypeIn
from dre.wire.promotion import PromotionIn
from dre.wire.store_settings import StoreSettingsIn
from dre.wire.types import Integer


class PromotionList(BaseModel):
    promotions: list[PromotionIn]
    version: int = Field(description="The tenant's promotions version (bumped by every promotion or coupon "
                                     "type write)")


class Deleted(BaseModel):
    id: str
    version: int | None = Field(None, description="The promotions version after the delete")


class Limit(BaseModel):
    limit: float | None = Field(description="null: the promotion sets no such limit")
    consumed: float = Field(description="Real sales (confirmed, at central or forwarded by a store)")
    remaining: float | None = Field(description="What neither sales nor outstanding leases took")
    outstandingLeases: float | None = Field(
        default=None,
        description="Leased to store-local instances and neither sold (as far as forwarded sales tell) nor given "
                    "back: taken out of the budget, not counted in consumed; absent for a promotion no local "
                    "instance ever held a lease of")


class BudgetState(BaseModel):
    promotionId: str
    amount: Limit = Field(description="Money in major units")
    redemptions: Limit
    perCustomerRedemptions: int | None = Field(description="The per-customer redemption limit (null: none)")


class CouponTypeList(BaseModel):
    couponTypes: list[CouponTypeIn]


class GenerateRequest(BaseModel):
    count: Integer = Field(ge=1, le=10_000, description="How many new ACTIVE codes (at most 10,000 per call)")


class GeneratedCodes(BaseModel):
    codes: list[str]


class StoreSettingsOut(StoreSettingsIn):
    storeId: str


class StoreList(BaseModel):
    stores: list[StoreSettingsOut] = Field(description="Stores with settings of their own, by storeId")
    default: StoreSettingsIn = Field(description="The tenant default (/admin/settings) for every other store")
