"""The sync routes' bodies: the delta feed (answer), forwarded transactions (request and
answer), the conflict list (answer)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dre.wire.types import NonEmptyStr

MAX_FORWARDED = 500  # transactions per POST /admin/sync/transactions


class LeaseOut(BaseModel):
    amount: float | None = Field(description="Money leased so far (major units); null: the budget sets no amount")
    redemptions: int | None = Field(description="Redemptions leased so far; null: the budget sets no count")


class SyncFeed(BaseModel):
    cursor: str = Field(description="Pass it back as `?cursor=` to get what changed after this page")
    promotionsVersion: int = Field(description="Central's promotions version this page reflects")
    promotions: list[dict[str, Any]] | None = Field(
        description="The whole promotion set when its version moved since the cursor, else null")
    couponTypes: list[dict[str, Any]] | None = Field(
        description="The whole set of coupon types, with `promotions` (they gate promotions); else null")
    articles: list[dict[str, Any]] = Field(description="Articles written after the cursor, in write order")
    more: bool = Field(description="More article changes wait: ask again with `cursor` at once")
    exhaustedBudgets: list[str] = Field(description="Promotions whose budget is used up at central (every page)")
    leases: dict[str, "LeaseOut"] = Field(
        description="With `?instance=`: that instance's lease of each active budgeted promotion, cumulative (the "
                    "budget it enforces on its own sales)")


class ForwardedTransaction(BaseModel):
    model_config = ConfigDict(extra="ignore")

    transactionId: NonEmptyStr
    transactionCounter: int = Field(ge=1, strict=True)
    confirmedAt: int = Field(ge=0, description="When the local instance confirmed it (ms since the epoch)")
    storeId: str | None = None
    instanceId: str | None = Field(default=None, description="The sending instance (its leases cover its sales)")
    iteration: dict[str, Any] = Field(description="The priced iteration as the local instance kept it")


class ForwardedTransactions(BaseModel):
    transactions: list[ForwardedTransaction] = Field(min_length=1, max_length=MAX_FORWARDED)


class Conflict(BaseModel):
    type: Literal["BUDGET", "COUPON"]
    promotionId: str | None = None
    code: str | None = None
    reason: str = Field(description="amount, redemptions, perCustomer (BUDGET); the coupon's refusal (COUPON)")
    amount: float | None = Field(default=None, description="BUDGET: the discount not counted (major units)")


class ForwardedVerdict(BaseModel):
    transactionId: str
    transactionCounter: int
    status: Literal["ACCEPTED", "REPLAYED", "REFUSED"] = Field(
        description="ACCEPTED now; REPLAYED: accepted before (nothing changed); REFUSED: not committed (see error)")
    conflicts: list[Conflict] = Field(default_factory=list)
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
    redemptions: int | None
    usedRedemptions: int


class PromotionLeases(BaseModel):
    promotionId: str
    outstandingAmount: float = Field(description="Leased and not (yet) known sold: in the budget's consumed figure")
    outstandingRedemptions: int
    leases: list[LeaseState]


class LeaseList(BaseModel):
    promotions: list[PromotionLeases]
