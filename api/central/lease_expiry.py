"""Lease expiry (central): the unused rest of a budget lease whose instance has not renewed it
for ``DRE_LEASE_TTL_S`` plus ``DRE_LEASE_GRACE_S`` is reclaimed (``lease_expire.lua``), so a
lease of an instance killed and gone for good, or idle offline for long, does not stay
outstanding. The instance stopped selling from it at the expiry by its own clock (minus a
margin for clock skew: ``actors.sync.lease_returns``); the grace period covers the skew and
lets a store that sold shortly before the expiry forward those sales first. A sale forwarded
after the reclaim still counts (``lease_use.lua``: sold on an expired lease).

The sweeper runs every SWEEP_S on a central worker; ``GET /admin/sync/leases`` sweeps too, so
what it lists is current.
"""
from __future__ import annotations

import logging

import trio

from actors.kit import ScopedActor
from actors.sync import Leases
from api.services import Services
from dre.promotion import budget_limits
from dre.errors import DREError
from dre.store.records import NO_LIMIT, now_ms

log = logging.getLogger("dre.leases")

SWEEP_S = 30.0  # how often the sweeper looks for expired leases


async def reclaim_expired(services: Services, tenant: str, now: int | None = None) -> int:
    """Reclaim the rest of every lease of the tenant that expired at least the grace period
    before ``now`` (epoch ms; default: now). Returns how many leases were reclaimed."""
    config, leases = services.config, Leases(services.store.core)
    now = now_ms() if now is None else now
    ttl_ms, grace_ms = int(config.lease_ttl_s * 1000), int(config.lease_grace_s * 1000)
    promotions = services.engine.current(tenant).by_id
    reclaimed = 0
    for pid in await leases.leased_ids(tenant):
        promo = promotions.get(pid)
        limits = budget_limits(promo) if promo is not None else (NO_LIMIT, NO_LIMIT)
        reclaimed += await leases.expire(tenant, pid, limits, now, grace_ms, ttl_ms)
    if reclaimed and services.budgets is not None:
        services.budgets.invalidate(tenant)  # the room is offered again at once
    return reclaimed


class LeaseSweeper(ScopedActor):
    """Reclaims expired leases of ``tenants`` every SWEEP_S (``await sweeper.aclose()`` stops it)."""

    def __init__(self, services: Services, tenants: list[str], every_s: float = SWEEP_S) -> None:
        super().__init__()
        self._services, self._tenants, self.every_s = services, tenants, every_s

    async def run(self, task_status: trio.TaskStatus["LeaseSweeper"] = trio.TASK_STATUS_IGNORED) -> None:
        with self.cancel_scope:
            task_status.started(self)
            while True:
                for tenant in self._tenants:
                    try:
                        if n := await reclaim_expired(self._services, tenant):
                            log.info("expired leases reclaimed", extra={"tenant": tenant, "leases": n})
                    except DREError as err:  # store away: next round
                        log.debug("lease sweep skipped", extra={"error": err.message})
                await trio.sleep(self.every_s)


async def start_lease_sweeper(nursery: trio.Nursery, services: Services) -> LeaseSweeper:
    return await nursery.start(LeaseSweeper(services, list(services.config.tenants)).run)
