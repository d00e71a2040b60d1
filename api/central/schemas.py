"""The sync routes' bodies: the delta feed (answer), forwarded transactions (request and
answer), the conflict list (answer)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.evaluate import Totals
from dre.wire.store_settings import StoreSettingsIn
from dre.wire.types import JSON_INTEGER, Integer, NonEmptyStr

MAX_FORWARDED = 500  # transactions per POST /admin/sync/transactions


class LeaseOut(BaseModel):
    amount: float | None = Field(description="Money leased so far (major units); null: the budget sets no amount")
    redemptions: int | None = Field(description="Redemptions leased so far; null: the budget sets no count")
    expiresAt: int = Field(description="When the lease expires (ms since the epoch, central's clock; renewed by "
                                       "each pull): the instance sells nothing of it from then on (minus a margin "
                                       "for clock skew), and central reclaims the unused rest after a grace period")


class StoreSettingsSet(BaseModel):
    stores: dict[str, StoreSettingsIn] = Field(description="Settings by storeId (as `PUT /admin/stores/{storeId}`)")
    default: StoreSettingsIn | None = Field(description="The tenant default (`PUT /admin/settings`); null: none set")


class SyncFeed(BaseModel):
    cursor: str = Field(description="Pass it back as `?cursor=` to get what changed after this page")
    promotionsVersion: int = Field(description="Central's promotions version this page reflects")
    promotions: list[dict[str, Any]] | None = Field(
        description="The whole promotion set when its version moved since the cursor, else null")
    couponTypes: list[dict[str, Any]] | None = Field(
        description="The whole set of coupon types, with `promotions` (they gate promotions); else null")
    storeSettings: "StoreSettingsSet | None" = Field(
        description="The whole set of store settings (time zones), with `promotions`; else null")
    articles: list[dict[str, Any]] = Field(description="Articles written after the cursor, in write order")
    codes: list[dict[str, str]] = Field(
        default_factory=list,
        description="INDIVIDUAL coupon codes changed after the cursor, each as stored at central now (status, "
                    "typeId, customerId, validity, ...): a store honours them offline by its type's offlinePolicy")
    more: bool = Field(description="More article or code changes wait: ask again with `cursor` at once")
    exhaustedBudgets: list[str] = Field(description="Promotions whose budget is used up at central (every page)")
    leases: dict[str, "LeaseOut"] = Field(
        description="With `?instance=`: that instance's lease of each active budgeted promotion, cumulative (the "
                    "budget it enforces on its own sales)")


MAX_CENTS = 10**12  # bounds that keep every figure a Redis integer and every effect finite
MAX_POINTS = 10**9
MAX_GRANTS = 100  # post-purchase coupons one applied promotion issues


class IterationBudget(BaseModel):
    amount: Annotated[int, Field(ge=0, le=MAX_CENTS), JSON_INTEGER] | None = Field(default=None, description="cents")
    redemptions: Annotated[int, Field(ge=0, le=MAX_POINTS), JSON_INTEGER] | None = None
    perCustomer: Annotated[int, Field(ge=0, le=MAX_POINTS), JSON_INTEGER] | None = None


class IterationGrant(BaseModel):
    couponTypeId: NonEmptyStr
    count: Integer = Field(default=1, ge=1, le=MAX_GRANTS)


class IterationPromotion(BaseModel):
    model_config = ConfigDict(extra="allow")  # fields a newer instance adds travel on

    promotionId: NonEmptyStr
    amount: Integer = Field(ge=-MAX_CENTS, le=MAX_CENTS, description="cents of discount")
    points: Integer = Field(default=0, ge=-MAX_POINTS, le=MAX_POINTS)
    couponCode: str | None = None
    version: Integer | None = None
    budget: IterationBudget | None = None
    issueCoupons: list[IterationGrant] = Field(default_factory=list, max_length=10)


class ForwardedAnswer(BaseModel):
    """The evaluate answer the iteration was priced with (its body; central's confirm answer
    repeats its totals)."""

    model_config = ConfigDict(extra="allow")

    totals: Totals


class ForwardedIteration(BaseModel):
    """The priced iteration a local instance kept (api.evaluate.iteration's record)."""

    model_config = ConfigDict(extra="allow")

    customerId: str | None = None
    loyaltyCardNo: str | None = None
    storeId: str | None = None
    promotionsVersion: Integer | None = None
    applied: list[IterationPromotion] = Field(default_factory=list, max_length=1000)
    coupons: list[NonEmptyStr] = Field(default_factory=list, max_length=100)
    totals: dict[str, Integer] = Field(default_factory=dict)
    response: ForwardedAnswer


class ForwardedTransaction(BaseModel):
    model_config = ConfigDict(extra="ignore")

    transactionId: NonEmptyStr
    transactionCounter: int = Field(ge=1, le=MAX_POINTS, strict=True)
    confirmedAt: Integer = Field(ge=0, le=10**15, description="When the local instance confirmed it (ms since the epoch)")
    storeId: str | None = None
    instanceId: str | None = Field(default=None, description="The sending instance (its leases cover its sales)")
    iteration: ForwardedIteration = Field(description="The priced iteration as the local instance kept it")


class ForwardedTransactions(BaseModel):
    transactions: list[ForwardedTransaction] = Field(min_length=1, max_length=MAX_FORWARDED)


class Conflict(BaseModel):
    type: Literal["BUDGET", "COUPON", "EXPIRED_LEASE"]
    promotionId: str | None = None
    code: str | None = None
    reason: str = Field(description="amount, redemptions, perCustomer (BUDGET); the coupon's refusal (COUPON); "
                                    "SOLD_ON_EXPIRED_LEASE (EXPIRED_LEASE)")
    amount: float | None = Field(default=None, description="BUDGET: the discount not counted (major units); "
                                                           "EXPIRED_LEASE: the discount counted past the lease")


class ForwardedVerdict(BaseModel):
    transactionId: str
    transactionCounter: int
    status: Literal["ACCEPTED", "REPLAYED", "REFUSED"] = Field(
        description="ACCEPTED now; REPLAYED: accepted before (nothing changed); REFUSED: not committed (see error)")
    conflicts: list[Conflict] = Field(default_factory=list)
    leasedPromotions: list[str] | None = Field(
        default=None, description="Strict confirms (POST /admin/sync/confirm) only: the applied promotions whose "
                                  "sale central took from the instance's budget lease (it had room; nothing of "
                                  "the budget consumed). The others consumed the budget itself. The instance "
                                  "counts exactly these against its own copy of the lease")
    error: dict[str, Any] | None = None


class ForwardedResults(BaseModel):
    results: list[ForwardedVerdict] = Field(description="One per forwarded transaction, in order")


class ConflictRecord(BaseModel):
    transactionId: str
    transactionCounter: int
    storeId: str | None
    confirmedAt: int
    conflicts: list[Conflict]


class ConflictList(BaseModel):
    conflicts: list[ConflictRecord]


class LeaseState(BaseModel):
    instance: str
    amount: float | None = Field(description="Leased so far (major units)")
    usedAmount: float = Field(description="Of it, sold (as far as forwarded sales tell)")
    returnedAmount: float = Field(description="Of it, given back by the instance")
    redemptions: int | None
    usedRedemptions: int
    returnedRedemptions: int
    expiredAmount: float = Field(description="Of what was given back, reclaimed by central at the lease's expiry")
    expiredRedemptions: int
    expiresAt: int | None = Field(description="When the lease expires (ms since the epoch, central's clock)")


class PromotionLeases(BaseModel):
    promotionId: str
    outstandingAmount: float = Field(description="Leased and neither known sold nor given back: taken out of the "
                                                  "budget, not a sale (the budget route's outstandingLeases)")
    outstandingRedemptions: int
    leases: list[LeaseState]


class LeaseReturn(BaseModel):
    promotionId: NonEmptyStr
    returnId: NonEmptyStr = Field(max_length=100, description="Taken back once per returnId (sent again: nothing)")
    amount: Integer = Field(ge=0, le=MAX_CENTS, description="cents given back")
    redemptions: Integer = Field(ge=0, le=MAX_POINTS)


class LeaseReturns(BaseModel):
    instanceId: NonEmptyStr = Field(max_length=100)
    returns: list[LeaseReturn] = Field(max_length=1000)


class LeaseReturned(BaseModel):
    returnId: str
    status: Literal["RETURNED", "REPLAYED"] = Field(description="RETURNED now; REPLAYED: taken back before")
    amount: int = Field(description="cents taken back now (at most the instance's outstanding lease)")
    redemptions: int


class LeaseReturnResults(BaseModel):
    results: list[LeaseReturned]


class LeaseList(BaseModel):
    promotions: list[PromotionLeases]
