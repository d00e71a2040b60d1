"""The coupon type JSON of the contract (``/admin/coupon-types``)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dre.wire.types import JSON_INTEGER, Flag, Timestamp


Id = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]
Limit = Annotated[int, Field(ge=1, le=1_000_000_000), JSON_INTEGER]
# A code is typed at a till: letters, digits and a few separators; no spaces, no braces.
Code = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Prefix = Annotated[str, Field(max_length=32, pattern=r"^[A-Za-z0-9_-]*$")]


class CouponTypeIn(BaseModel):
    """A coupon type. GENERIC: one shared ``code`` (required), used up to maxRedemptions in all and
    maxRedemptionsPerCustomer per customer. INDIVIDUAL: one-use codes drawn by generate/issue
    (``prefix`` + random characters of ``dre.store.codes.ALPHABET``, ``codeLength`` in all, never fewer
    than 6 random ones); ``code`` is not allowed. ``offlinePolicy``: whether a store's local
    instance honours the type's codes while central is away (absent: REFUSE)."""

    model_config = ConfigDict(extra="forbid")

    id: Id
    type: Literal["GENERIC", "INDIVIDUAL"]
    status: Literal["ACTIVE", "INACTIVE"] = "ACTIVE"
    name: Annotated[str, Field(max_length=500)] | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    code: Code | None = None
    prefix: Prefix = ""
    codeLength: Annotated[int, Field(ge=6, le=64), JSON_INTEGER] = 10
    maxRedemptions: Limit | None = None
    maxRedemptionsPerCustomer: Limit | None = None
    validFrom: Timestamp | None = None
    validTo: Timestamp | None = None
    isStackable: Flag = True
    promotionIds: Annotated[list[Id], Field(max_length=1000)] = Field(default_factory=list)
    # absent means REFUSE (kept absent in the stored document): a code honoured at a store while
    # central is away can be honoured at another one too; only the owner of the type can judge
    # that risk worth a sale (docs/local-store.md)
    offlinePolicy: Literal["ACCEPT", "REFUSE"] | None = Field(
        default=None,
        description="At a store's local instance while central is away: ACCEPT honours the type's codes as the "
                    "store last synced them (a code used at two stores meanwhile is reported as a conflict on "
                    "replay; both sales stand); REFUSE (also when absent) refuses them (reason OFFLINE_REFUSED)")

    @model_validator(mode="after")
    def _consistent(self) -> "CouponTypeIn":
        if self.type == "GENERIC" and not self.code:
            raise ValueError("a GENERIC coupon type names its shared code")
        if self.type == "INDIVIDUAL" and self.code:
            raise ValueError("an INDIVIDUAL coupon type has no shared code (codes are generated)")
        if self.validFrom and self.validTo and self.validFrom > self.validTo:
            raise ValueError("validFrom must not be after validTo")
        return self


