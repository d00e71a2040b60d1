"""The calculation audit log: what each confirmed iteration was priced with (written by the
side-effects job, once per confirmed iteration).

A record lives in its transaction's slot; the log of ids is in parts, one in the slot of each job
queue bucket (dre.store.keys.audit_logs), so one tenant's audit writes spread over every master
like its jobs. ``recent`` merges the parts by time."""
from __future__ import annotations

import heapq

from actors.store_ops.base import DAY_S, StorePart, ms
from dre.store import keys
from dre.store.records import now_ms

AUDIT_TTL_S = 90 * DAY_S  # an audit record is kept for a quarter (disputes, reconciliation)
AUDIT_LOG_CAP = 100_000  # ids kept in the tenant's browsable log (newest first), over all parts


class AuditLog(StorePart):
    """``store.audit``: the tenant's calculation audit records."""

    async def append(
        self, tenant: str, audit_id: str, record: str, ttl_s: float = AUDIT_TTL_S,
        cap: int = AUDIT_LOG_CAP,
    ) -> bool:
        """Keep ``record`` (JSON) under ``audit_id`` unless one is there, and list the id in the
        log (once). True if the record was written now. A job that runs again after a crash
        between the two steps lists the id then."""
        key = keys.audit_record(tenant, audit_id)
        written = await self._core.call(lambda p: p.set(key, record, nx=True, px=ms(ttl_s)), bool)
        part_cap = max(1, -(-cap // keys.JOB_BUCKETS))
        await self._core.call_script(self._core.scripts.audit_append, [keys.audit_log(tenant, audit_id)],
                                     [audit_id, now_ms(), part_cap])
        return written

    async def get(self, tenant: str, audit_id: str) -> str | None:
        """One audit record (JSON), or None (unknown or expired)."""
        key = keys.audit_record(tenant, audit_id)
        return await self._core.call(lambda p: p.get(key))

    async def recent(self, tenant: str, count: int = 100) -> list[str]:
        """The ids of the latest ``count`` audit records, newest first (over every part)."""
        parts = []
        for key in keys.audit_logs(tenant):
            parts.append(await self._core.call(lambda p, k=key: p.zrevrange(k, 0, count - 1, withscores=True)))
        newest = heapq.merge(*parts, key=lambda e: (-e[1], e[0]))
        return [audit_id for audit_id, _ in newest][:count]
