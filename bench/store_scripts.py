"""Redis's own time per script of a store operation (``bench.store --by-script``).

``INFO commandstats`` has one line for every EVALSHA together, so an operation of several scripts
(a confirm: txn_seal, confirm, txn_settle) shows only their average. Here every command is logged
(``SLOWLOG``, slower-than 0) while the operation runs, and each EVALSHA entry is attributed to its
script by SHA: calls per operation, µs per call, µs per operation. Logging costs Redis a little per
command (the commands a script calls are logged too, inside the script's time), so these figures
run somewhat above the plain run's; they are for the split, not the totals.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields

import redis

from dre.store.scripts import Scripts


@dataclass
class ScriptTime:
    script: str
    calls_per_op: float
    us_per_call: float

    @property
    def us_per_op(self) -> float:
        return self.calls_per_op * self.us_per_call


def script_names(scripts: Scripts) -> dict[str, str]:
    """SHA -> script name, the journaled forms as ``<name> (journaled)``."""
    out = {}
    for f in fields(scripts):
        script = getattr(scripts, f.name)
        out[script.sha] = f.name
        if (journaled := scripts.journaled(script)) is not None:
            out[journaled.sha] = f"{f.name} (journaled)"
    return out


async def split(nodes: list[redis.Redis], names: dict[str, str], n: int,
                run: Callable[[], Awaitable[object]]) -> list[ScriptTime]:
    """Redis's time per script while ``run()`` does ``n`` operations on the masters ``nodes``,
    most costly first. The nodes' slowlog settings are restored afterwards."""
    saved = [(node.config_get("slowlog-log-slower-than"), node.config_get("slowlog-max-len")) for node in nodes]
    for node in nodes:
        node.config_set("slowlog-max-len", max(128, n * 64))  # every command of every operation
        node.slowlog_reset()
        node.config_set("slowlog-log-slower-than", 0)
    try:
        await run()
    finally:
        for node, (slower, length) in zip(nodes, saved):
            node.config_set("slowlog-log-slower-than", slower["slowlog-log-slower-than"])
    took: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for node, (_, length) in zip(nodes, saved):
        for entry in node.slowlog_get(max(128, n * 64)):
            command = entry["command"].split()
            if command[0].upper() == b"EVALSHA":
                t = took[names.get(command[1].decode(), command[1].decode()[:12])]
                t[0] += 1
                t[1] += entry["duration"]
        node.slowlog_reset()
        node.config_set("slowlog-max-len", length["slowlog-max-len"])
    rows = [ScriptTime(name, calls / n, us / calls) for name, (calls, us) in took.items()]
    return sorted(rows, key=lambda r: -r.us_per_op)
