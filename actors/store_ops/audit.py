"""The calculation audit log: what each confirmed iteration was priced with (written by the
side-effects job, once per confirmed iteration)."""
from __future__ import annotations

from actors.store_ops.base import DAY_S, StorePart, ms
from dre.store import keys

AUDIT_TTL_S = 90 * DAY_S  # an audit record is kept for a quarter (disputes, reconciliation)
AUDIT_LOG_CAP = 100_000  # ids kept in the tenant's browsable log (newest first)


class AuditLog(StorePart):
    """``store.audit``: the tenant's calculation audit records."""

    async def append(
        self, tenant: str, audit_id: str, record: str, ttl_s: float = AUDIT_TTL_S,
        cap: int = AUDIT_LOG_CAP,
    ) -> bool:
        """Keep ``record`` (JSON) under ``audit_id`` unless one is there. True if written now."""
        k = [keys.audit_record(tenant, audit_id), keys.audit_log(tenant)]
        s = self._core.scripts.audit_append
        return await self._core.call_script(s, k, [audit_id, record, ms(ttl_s), cap], lambda r: bool(int(r)))

    async def get(self, tenant: str, audit_id: str) -> str | None:
        """One audit record (JSON), or None (unknown or expired)."""
        key = keys.audit_record(tenant, audit_id)
        return await self._core.call(lambda p: p.get(key))

    async def recent(self, tenant: str, count: int = 100) -> list[str]:
        """The ids of the latest ``count`` audit records, newest first."""
        key = keys.audit_log(tenant)
        return await self._core.call(lambda p: p.lrange(key, 0, count - 1), list)
