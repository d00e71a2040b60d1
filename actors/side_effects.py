"""What the side-effects job of a confirmed iteration does (the handler the job worker runs).

Every step is idempotent per job, so a job that runs again (its worker was killed after some
steps, or its lease ran out while it was still running) takes effect once:

1. coupon redemptions: already done inside the atomic confirm (``confirm.lua``); reported here,
   and logged for local instances' delta feed (``store.coupons.log_changed``: they keep the codes);
2. loyalty points: ``store.loyalty.book`` once per event key ``confirm:<transactionId>/<counter>``
   for the member (loyaltyCardNo, else customerId); skipped without a member;
3. calculation audit record: ``store.audit.append`` once per audit id (= the job id); a
   transaction a local instance forwarded keeps there the conflicts central met accepting it
   (a code two stores redeemed offline, a budget used up: ``api.central.accept``);
4. post-purchase coupons of ISSUE_COUPON promotions: ``store.coupons.grant`` once per grant,
   recorded in the job's own hash. The codes are issued ACTIVE and bound to the customer at once
   (they are that customer's already; a CREATED code would need an activate call nobody makes).
   Without a customer they are bound to nobody: the POS can print them on the receipt.

A permanent problem of one step (a coupon type deleted since the promotion was written) is kept
in ``warnings`` and does not fail the job: retrying cannot fix it, and the other effects stand.
A store outage raises, and the worker retries the job later.
"""
from __future__ import annotations

import orjson
import trio

from actors.jobs import Handler, JobSettings, JobWorker, start_job_worker
from actors.store import Store
from dre.config import Config
from dre.clock import iso_ms
from dre.errors import DREError
from dre.side_effects import JobPayload
from dre.store import keys, sync_keys
from dre.store.records import ClaimedJob

ORDERED_RUNNERS = 3  # a local instance's job runners (handlers one after the other, in queue order)
EVENT_PREFIX = "confirm:"  # loyalty event keys of confirms (posevent uses its own key format)


class SideEffects:
    """The job handler: ``await handler(tenant, job)`` -> the results (JSON) to complete it with.

    Holds no task and no state besides the store handle; the job worker calls it in its runner
    tasks, one job at a time per runner. Cancellation between steps leaves the job leased: it is
    recovered and re-run, and the steps already done answer as before.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    async def __call__(self, tenant: str, job: ClaimedJob) -> str:
        p = JobPayload.from_json(job.payload)
        warnings: list[str] = []
        await self._store.coupons.log_changed(tenant, p.coupons)
        results = {
            "couponRedemptions": [{"code": c, "status": "REDEEMED"} for c in p.coupons],
            "loyalty": await self._loyalty(tenant, p),
            "auditLogId": await self._audit(tenant, p),
            "postPurchaseCoupons": await self._grants(tenant, job.job_id, p, warnings),
            "warnings": warnings,
        }
        return orjson.dumps(results).decode()

    async def _loyalty(self, tenant: str, p: JobPayload) -> dict | None:
        if not p.member:
            return None
        b = await self._store.loyalty.book(tenant, p.member, EVENT_PREFIX + p.job_id, p.points)
        return {"memberId": p.member, "pointsEarned": b.points_earned, "totalPoints": b.total_points}

    async def _audit(self, tenant: str, p: JobPayload) -> str:
        record = {
            "auditLogId": p.job_id, "transactionId": p.transactionId, "transactionCounter": p.transactionCounter,
            "confirmedAt": iso_ms(p.confirmedAt), "storeId": p.storeId, "customerId": p.customerId,
            "promotionsVersion": p.promotionsVersion,
            "promotions": [{"promotionId": u.promotionId, "version": u.version, "amount": u.amount,
                            "points": u.points, "couponCode": u.couponCode} for u in p.promotions],
            "coupons": list(p.coupons), "totals": p.totals,  # cents
        }
        # only a forwarded transaction can have conflicts: a POS confirm's job skips the read (it
        # would be one more command in the tenant's slot per confirm, docs/store.md)
        conflicts = (await self._store.core.call(lambda pipe: pipe.get(sync_keys.conflict(tenant, p.job_id)))
                     if p.extra.get("forwarded") else None)
        if conflicts:  # recorded before the forwarded transaction was committed (api.central.accept)
            record["conflicts"] = orjson.loads(conflicts)["conflicts"]
        await self._store.audit.append(tenant, p.job_id, orjson.dumps(record).decode())
        return p.job_id

    async def _grants(self, tenant: str, job_id: str, p: JobPayload, warnings: list[str]) -> list[dict]:
        out = []
        for g in p.grants:
            try:
                codes, _ = await self._store.coupons.grant(tenant, g.couponTypeId, p.customerId or "", g.count,
                                                           keys.job_grants(tenant, job_id), g.grant_id)
                ctype = await self._store.coupon_types.get(tenant, g.couponTypeId) or {}
            except DREError as err:
                if err.status >= 500:
                    raise
                warnings.append(f"promotion {g.promotionId}: no coupon of type {g.couponTypeId} issued: {err.message}")
                continue
            out += [{"code": c, "couponTypeId": g.couponTypeId, "promotionId": g.promotionId,
                     "validTo": iso_ms(ctype.get("validTo"))} for c in codes]
        return out


async def start_side_effects(nursery: trio.Nursery, config: Config, store: Store,
                             handler: Handler | None = None) -> JobWorker | None:
    """Start the side-effects job worker for every configured tenant in ``nursery`` (None without a
    store - an UnavailableStore - or with DRE_JOB_RUNNERS=0). The caller stops it with
    ``await worker.aclose()`` before the store.

    ``handler`` replaces :class:`SideEffects` (a local instance's jobs queue the confirm for
    central instead: ``actors.sync.QueueForCentral``); its jobs are then claimed in queue order
    and their handlers run one after the other, in that order (JobSettings.ordered), by
    ORDERED_RUNNERS runners: the next claim and the last completion overlap the handler."""
    if not store.available or (config.job_runners <= 0 and handler is None):
        return None  # (a local instance's handler always runs: its confirms reach central through it)
    lease = config.job_lease_s
    settings = JobSettings(runners=config.job_runners if handler is None else ORDERED_RUNNERS, lease_s=lease, job_timeout_s=lease * 2 / 3,
                           recover_every_s=min(JobSettings.recover_every_s, lease / 2), ordered=handler is not None)
    return await start_job_worker(nursery, store, sorted(config.tenants), handler or SideEffects(store), settings)
