"""Trio actors of one worker process.

Layering: ``kit`` (the mailbox factory, ``open_actor``, the ``aclose`` protocol) ← ``messages``
(reply slots, batching, the pricing loop) ← ``supervisor`` (restart on crash) ← ``shard`` and
``resolver`` (the two pricing phases, micro-batched in worker threads) ← ``coordinator``
(scatter/gather of one request) ← ``engine`` (per-tenant promotion sets; the public surface).
``store`` (with ``store_core``, ``store_ops``, ``breaker``) is the only code that talks to Redis;
``UnavailableStore`` stands in for it in a service run without Redis.
On top of the store: ``reloader`` (store → engine), ``jobs`` with ``side_effects`` (durable
side-effect jobs), ``import_jobs`` (article imports). ``deadlines`` keeps the request deadlines
of the engine and the store.

Every actor is a pair: ``start_x(nursery, ...)`` returns its handle once it is ready, and
``open_x(...)`` is ``open_actor(start_x, ...)``; every handle stops with ``await handle.aclose()``
(idempotent).
"""
from actors.engine import Engine, Priced, build_promotion_set, implementation_name, open_engine, start_engine
from actors.kit import Actor, open_actor
from actors.messages import ENGINE_UNAVAILABLE
from actors.store import Store, UnavailableStore, open_store, start_store
from actors.supervisor import RestartLog

__all__ = ["ENGINE_UNAVAILABLE", "Actor", "Engine", "Priced", "RestartLog", "Store", "UnavailableStore",
           "build_promotion_set", "implementation_name", "open_actor", "open_engine", "open_store", "start_engine",
           "start_store"]
