"""The side-effects job of a confirmed iteration: what it must do, as a plain record.

Confirm builds a :class:`JobPayload` from the priced iteration and the store enqueues it in the
same atomic step as the confirm itself; the side-effects worker (``actors/jobs.py``) reads it
back. JSON on both sides, so a worker of a newer version can run a job an older one enqueued:
fields are only ever added, with defaults.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import orjson

JOB_STATUSES = ("PENDING", "RUNNING", "COMPLETED", "FAILED")


@dataclass(frozen=True)
class PromotionUse:
    """An applied promotion as the audit log records it (amount in cents, sale part)."""

    promotionId: str
    version: int | None
    amount: int
    points: int
    couponCode: str | None


@dataclass(frozen=True)
class CouponGrant:
    """ISSUE_COUPON of an applied promotion: ``count`` codes of ``couponTypeId`` for the customer."""

    promotionId: str
    couponTypeId: str
    count: int

    @property
    def grant_id(self) -> str:
        """Identifies the grant within its job (the store issues each grant once)."""
        return f"grant:{self.promotionId}:{self.couponTypeId}"


@dataclass(frozen=True)
class JobPayload:
    transactionId: str
    transactionCounter: int
    confirmedAt: int  # ms since the epoch
    customerId: str | None
    member: str | None  # loyalty member that earns the points: loyaltyCardNo, else customerId
    points: int  # loyaltyPointsEarned of the iteration (negative when returns dominate)
    coupons: tuple[str, ...]  # codes claimed (redeemed) inside the confirm
    promotions: tuple[PromotionUse, ...]
    grants: tuple[CouponGrant, ...]
    totals: dict  # cents: gross, discount, points
    promotionsVersion: int | None = None
    storeId: str | None = None
    extra: dict = field(default_factory=dict)  # room for later fields without a format change

    @property
    def job_id(self) -> str:
        return f"{self.transactionId}/{self.transactionCounter}"

    def to_json(self) -> str:
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def from_json(cls, raw: str | bytes) -> "JobPayload":
        d = orjson.loads(raw)
        return cls(
            transactionId=d["transactionId"], transactionCounter=int(d["transactionCounter"]),
            confirmedAt=int(d["confirmedAt"]), customerId=d.get("customerId"), member=d.get("member"),
            points=int(d.get("points") or 0), coupons=tuple(d.get("coupons") or ()),
            promotions=tuple(PromotionUse(**p) for p in d.get("promotions") or ()),
            grants=tuple(CouponGrant(**g) for g in d.get("grants") or ()),
            totals=d.get("totals") or {}, promotionsVersion=d.get("promotionsVersion"),
            storeId=d.get("storeId"), extra=d.get("extra") or {},
        )
