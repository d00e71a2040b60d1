"""Trio actors of one worker process.

Layering: ``messages`` (mailboxes, reply slots) ← ``supervisor`` (restart on crash) ← ``shard``
and ``resolver`` (the two pricing phases, micro-batched in worker threads) ← ``coordinator``
(scatter/gather of one request) ← ``engine`` (per-tenant promotion sets; the public surface).
``store`` (with ``store_core``, ``store_ops``, ``breaker``) is the only code that talks to Redis.
"""
from actors.engine import Engine, Priced, build_promotion_set, implementation_name, open_engine, start_engine
from actors.messages import ENGINE_UNAVAILABLE
from actors.store import Store, open_store, start_store
from actors.supervisor import RestartLog

__all__ = ["ENGINE_UNAVAILABLE", "Engine", "Priced", "RestartLog", "Store", "build_promotion_set",
           "implementation_name", "open_engine", "open_store", "start_engine", "start_store"]
