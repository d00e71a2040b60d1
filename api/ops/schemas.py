"""GET /pos/heartbeat answer."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class BackgroundFault(BaseModel):
    count: int = Field(description="Failures of this background actor since the worker started")
    lastError: str = Field(description="The last failure (error class and message)")
    lastErrorAt: str = Field(description="UTC time of the last failure (ISO 8601)")


class Heartbeat(BaseModel):
    status: Literal["UP", "DEGRADED"] = Field(description="DEGRADED while the store is unreachable")
    version: str
    mode: Literal["ONLINE", "OFFLINE"] = Field(
        description="OFFLINE: pricing without the store (local counters, coupons unknown, writes answer 503)")
    btpConnectivity: Literal["CONNECTED", "DISCONNECTED"] = Field(description="State of the link to the store (Redis)")
    lastSync: str | None = Field(description="UTC time of the last successful store call (ISO 8601)")
    pendingTransactions: int | None = Field(
        description="Confirmed transactions whose side-effects job waits (caller's tenant); null when unknown")
    promotionsLoaded: int = Field(description="Promotions of the caller's tenant")
    promotionsVersion: int
    uptime: float = Field(description="Seconds since the worker started")
    circuitBreaker: Literal["closed", "open", "half_open", "none"]
    engine: str = Field(description="What new promotion sets are built as: KernelSet (numba), or "
                                    "IndexedReferenceSet (the reference evaluator) while the kernels are not ready")
    pricingPath: Literal["KERNELS", "REFERENCE"] = Field(
        description="What prices the caller's tenant's requests now: the numba kernels, or the reference evaluator "
                    "(same answers, slower) while they compile after a start")
    kernels: Literal["COMPILING", "READY", "UNAVAILABLE", "LAZY"] = Field(
        description="This worker's numba kernels: COMPILING (in the background; pricingPath REFERENCE), READY, "
                    "UNAVAILABLE (could not be built here: the reference path stays), LAZY (compiled on first use)")
    instance: Literal["CENTRAL", "LOCAL"] = Field(
        description="LOCAL: a store's own instance (DRE_MODE=local). There `mode`, `btpConnectivity` and "
                    "`circuitBreaker` describe the link to central, `lastSync` is the end of the last complete pull "
                    "of central's feed, `pendingTransactions` counts confirms not yet accepted by central")
    storeCircuitBreaker: Literal["closed", "open", "half_open", "none"] | None = Field(
        default=None, description="LOCAL only: the breaker of the instance's own store")
    pendingLoyaltyEvents: int | None = Field(
        default=None, description="LOCAL only: loyalty POS events booked at the instance while central was away and "
                                  "not yet answered by central; null when unknown")
    pendingCouponCalls: int | None = Field(
        default=None, description="LOCAL only: coupon calls (reserve, redeem, cancel, void) the instance answered "
                                  "itself while central was away (or on a reservation made then) and has not yet "
                                  "made at central; null when unknown")
    backgroundErrors: dict[str, BackgroundFault] = Field(
        description="Per background actor (jobs.claim, jobs.fail, jobs.recover, jobs.sweep, reloader, imports) that "
                    "failed since the worker started: it logged the failure and retries; empty when none did")
