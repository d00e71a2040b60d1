"""The sync routes' bodies: the delta feed (answer), forwarded transactions (request and
answer), the conflict list (answer)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dre.wire.types import NonEmptyStr

MAX_FORWARDED = 500  # transactions per POST /admin/sync/transactions


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


class ForwardedTransaction(BaseModel):
    model_config = ConfigDict(extra="ignore")

    transactionId: NonEmptyStr
    transactionCounter: int = Field(ge=1, strict=True)
    confirmedAt: int = Field(ge=0, description="When the local instance confirmed it (ms since the epoch)")
    storeId: str | None = None
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
