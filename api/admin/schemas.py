"""Answers of the admin and master data routes, for the OpenAPI document."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from dre.wire.coupon_type import CouponTypeIn
from dre.wire.promotion import PromotionIn


class PromotionList(BaseModel):
    promotions: list[PromotionIn]
    version: int = Field(description="The tenant's promotions version (bumped by every promotion or coupon "
                                     "type write)")


class Deleted(BaseModel):
    id: str
    version: int | None = Field(None, description="The promotions version after the delete")


class Limit(BaseModel):
    limit: float | None = Field(description="null: the promotion sets no such limit")
    consumed: float
    remaining: float | None


class Budget(BaseModel):
    promotionId: str
    amount: Limit = Field(description="Money in major units")
    redemptions: Limit
    perCustomerRedemptions: int | None = Field(description="The per-customer redemption limit (null: none)")


class CouponTypeList(BaseModel):
    couponTypes: list[CouponTypeIn]


class GenerateRequest(BaseModel):
    count: int = Field(ge=1, le=10_000, description="How many new ACTIVE codes (at most 10,000 per call)")


class GeneratedCodes(BaseModel):
    codes: list[str]


class ArticlesBody(BaseModel):
    """``{"articles": [...]}``; each article is validated on its own (see ArticleIn)."""

    articles: list[Any] = Field(description="Article objects: {articleNumber, name, articleGroupId, ean?, "
                                            "price?, attributes?}")


class ArticleIssue(BaseModel):
    path: str
    issue: str


class ArticleOutcome(BaseModel):
    index: int
    articleNumber: str | None
    status: Literal["CREATED", "UPDATED", "FAILED"]
    errors: list[ArticleIssue] = Field(default_factory=list)


class ImportResult(BaseModel):
    total: int
    created: int
    updated: int
    failed: int
    results: list[ArticleOutcome] = Field(description="One per submitted article, in order")


class ImportAccepted(BaseModel):
    jobId: str
    status: Literal["QUEUED"]
    total: int


class ImportError(BaseModel):
    index: int
    articleNumber: str | None
    errors: list[ArticleIssue]


class ImportJob(BaseModel):
    jobId: str
    status: Literal["QUEUED", "RUNNING", "COMPLETED", "FAILED"]
    total: int
    processed: int
    failed: int
    created: int
    updated: int
    errors: list[ImportError] = Field(description="The first failures (capped at 1,000; counts are exact)")
    lastError: str | None = Field(description="Why a FAILED job stopped")
    createdAt: str
    startedAt: str | None
    completedAt: str | None
