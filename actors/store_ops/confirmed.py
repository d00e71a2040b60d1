"""The confirmed marker of a transaction (tenant's slot, written by confirm.lua with the commit):
``<counter>:<confirmedAt>:<answer>``, one string with its TTL. Until the day after an upgrade a
marker may still be the hash {counter, answer, confirmedAt} an older release wrote."""
from __future__ import annotations

import redis

from actors.store_ops.base import CallsStore
from dre.store import keys


async def read_confirmed(core: CallsStore, tenant: str, txn_id: str) -> tuple[int, str] | None:
    """(counter, first answer) of a confirmed transaction, or None."""
    key = keys.txn_confirmed(tenant, txn_id)
    try:
        raw = await core.call(lambda p: p.get(key))
    except redis.ResponseError as exc:  # WRONGTYPE: a hash of the older release
        if "WRONGTYPE" not in str(exc):
            raise
        counter, answer = await core.call(lambda p: p.hmget(key, ["counter", "answer"]))
        return None if counter is None else (int(counter), answer)
    if raw is None:
        return None
    counter, _, rest = raw.partition(":")
    return int(counter), rest.partition(":")[2]
