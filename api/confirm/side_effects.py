"""The state of a confirmed iteration's side-effects job, as the GET route answers it."""
from __future__ import annotations

import orjson

from actors.store import Store
from dre.clock import iso_ms
from dre.errors import DREError
from dre.store import keys


def _shape(transaction_id: str, counter: int, job: dict[str, str]) -> dict:
    results = job.get("results")
    return {
        "transactionId": transaction_id,
        "transactionCounter": counter,
        "status": job.get("status", "PENDING"),
        "attempts": int(job.get("attempts") or 0),
        "createdAt": iso_ms(job.get("createdAt")),
        "startedAt": iso_ms(job.get("startedAt")),
        "completedAt": iso_ms(job.get("completedAt")),
        "lastError": job.get("lastError") or None,
        "results": orjson.loads(results) if results else None,
    }


async def side_effects_state(store: Store, tenant: str, transaction_id: str, counter: int) -> bytes:
    """The answer body (JSON bytes). Raises DREError 404 for a job that does not exist (not
    confirmed, or another counter), 503 when the store is unavailable."""
    job = await store.jobs.get(tenant, keys.job_id(transaction_id, counter))
    if job is None:
        raise DREError(404, "NOT_FOUND", f"no side effects for transaction {transaction_id} counter {counter}: "
                                         "that iteration was not confirmed")
    return orjson.dumps(_shape(transaction_id, counter, job))
