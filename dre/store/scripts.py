"""The Lua scripts of the store: one file per atomic transition under ``dre/store/lua/``.

Each file is read through ``importlib.resources`` and registered once per client at start-up
(``register_script`` computes the SHA; no round trip). A ``Script`` called directly runs by
EVALSHA and reloads itself on NOSCRIPT. The store actor does not call it in pipelines
(``client=pipe`` makes redis-py send ``SCRIPT EXISTS`` before every pipeline, a round trip per
batch): it sends ``EVALSHA script.sha ...`` itself, and loads every script (``StoreCore.load_scripts``)
at start-up and again when a reply says NOSCRIPT (server restarted or flushed).

``_common.lua`` is a prelude of shared helpers prepended to every script (Redis 6.2 has no
function libraries); it only defines locals.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from importlib import resources

import redis
from redis.commands.core import Script

LUA_PACKAGE = "dre.store.lua"  # where the .lua files live (package data, see pyproject)
PRELUDE = "_common.lua"  # shared helpers, not a script of its own


def lua_source(name: str) -> str:
    """The text of ``<name>.lua`` as sent to Redis: the prelude, then the script."""
    root = resources.files(LUA_PACKAGE)
    prelude = root.joinpath(PRELUDE).read_text(encoding="utf-8")
    body = root.joinpath(f"{name}.lua").read_text(encoding="utf-8")
    return f"{prelude}\n{body}"


@dataclass(frozen=True)
class Scripts:
    """One registered ``Script`` per .lua file (attribute name = file name without .lua)."""

    next_counter: Script
    txn_seal: Script
    txn_settle: Script
    confirm: Script
    coupon_validate: Script
    coupon_reserve: Script
    coupon_redeem: Script
    coupon_cancel: Script
    coupon_activate: Script
    coupon_issue: Script
    coupon_grant: Script
    coupon_generate: Script
    coupon_release: Script
    coupon_type_put: Script
    coupon_type_delete: Script
    points_book: Script
    audit_append: Script
    idempotency_claim: Script
    idempotency_put: Script
    idempotency_release: Script
    promotions_write: Script
    articles_upsert: Script
    import_claim: Script
    import_advance: Script
    import_fail: Script
    job_claim: Script
    job_start: Script
    job_complete: Script
    job_fail: Script
    job_recover: Script

    @classmethod
    def register(cls, client: redis.Redis) -> "Scripts":
        """Register every script on ``client``. No network traffic: loading happens on first use."""
        return cls(**{f.name: client.register_script(lua_source(f.name)) for f in fields(cls)})

    def all(self) -> list[Script]:
        return [getattr(self, f.name) for f in fields(self)]


def script_names() -> list[str]:
    """Every .lua file in the package except the prelude (a test checks they all have a field)."""
    root = resources.files(LUA_PACKAGE)
    return sorted(
        p.name[: -len(".lua")]
        for p in root.iterdir()
        if p.name.endswith(".lua") and p.name != PRELUDE
    )
