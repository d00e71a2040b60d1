"""The Lua scripts of the store: one file per atomic transition under ``dre/store/lua/``.

Each file is read through ``importlib.resources`` and registered once per client at start-up
(``register_script`` computes the SHA; no round trip). A ``Script`` called directly runs by
EVALSHA and reloads itself on NOSCRIPT. The store actor does not call it in pipelines
(``client=pipe`` makes redis-py send ``SCRIPT EXISTS`` before every pipeline, a round trip per
batch): it sends ``EVALSHA script.sha ...`` itself, and loads every script (``StoreCore.load_scripts``)
at start-up and again when a reply says NOSCRIPT (server restarted or flushed).

``_common.lua`` is a prelude of shared helpers (Redis 6.2 has no function libraries); it only
defines locals. A script gets the helpers its body names, and those they name in turn
(:func:`prelude_for`), not the whole prelude: defining ~30 closures and tables costs every call
~3-5 µs of Redis CPU (measured: next_counter.lua 16-21 µs with the whole prelude, 10-15 µs without).

A script named in MERGED also has a *merged* form (:func:`merged_source`): the calls of one
tenant that wait in the store actor's mailbox together go to Redis as one EVALSHA of it, each
run as if alone (actors/store_core.py): the EVALSHA and the prelude's definitions (~8 µs of a
reserve's ~27) are paid once for them all, and so are the keys and arguments the calls share
(the tenant's and the type's keys, the constants: :class:`Shape`), sent once for the call.

Every script but the Idempotency-Key's own also has a *journaled* form (:func:`journaled_source`),
which a request with an Idempotency-Key runs instead (see actors/operation.py): one more key and
one more argument, and the script's reply is recorded, atomically with its writes, so that a
retry of a call whose reply was lost gets the first reply instead of running again.
"""
from __future__ import annotations

import functools
import itertools
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from importlib import resources
from typing import Any

import redis
from redis.commands.core import Script

LUA_PACKAGE = "dre.store.lua"  # where the .lua files live (package data, see pyproject)
PRELUDE = "_common.lua"  # shared helpers, not a script of its own
UNJOURNALED = ("idempotency_claim", "idempotency_put", "idempotency_release")  # the claim itself
# The journaled form: the last KEYS entry is the journal key and the last ARGV its ttl (ms); both
# are taken off before the script's body runs, so its #KEYS and #ARGV are what it expects.
# MessagePack keeps a reply exactly (strings, integers, nested tables, error and status tables).
JOURNAL_HEAD = """local __journal = table.remove(KEYS)
local __ttl = table.remove(ARGV)
local __seen = redis.call('GET', __journal)
if __seen then return cmsgpack.unpack(__seen) end
local __reply = (function()
"""
JOURNAL_TAIL = """
end)()
redis.call('SET', __journal, cmsgpack.pack(__reply), 'PX', __ttl)
return __reply
"""

# The merged form: KEYS are the shared keys of the call's Shape, then each call's own keys, one call
# after the other; ARGV[1] = n, then the shared arguments, then each call's own. Each call runs the
# script's body with its KEYS and ARGV refilled in place (Redis 7 forbids rebinding the globals):
# the shared values once, at their places, then each call's own at theirs. Each call answers its own
# reply - a table: its items - an error reply (redis.error_reply, or a Lua error such as a refused
# write) as {'ERROR', message}, so that it is that call's alone. Redis 7 files an error_reply without
# a space in it under 'ERR': the prefix is taken off our "CODE\tsubject\treason" errors again. The
# replies go back flat, each as the count of its items and then its items (actors/store_core.py
# ``merged_items``): Redis 6.2 gives every nested array of a reply a buffer of its own, which cost
# ~1.7 µs of Redis CPU a reserve. The codes the calls log go to the code change log at the end,
# together (LOGGED, log_gathered in _common.lua): the log's keys are shared keys of every shape (Shape).
MERGED_HEAD = """local __run = function()
"""
MERGED_TAIL = """
end
local __keys, __args, __out = {unpack(KEYS)}, {unpack(ARGV)}, {}
local __sk, __sa, __ok, __oa = {%(shared_keys)s}, {%(shared_args)s}, {%(own_keys)s}, {%(own_args)s}
for j = #KEYS, %(keys)d + 1, -1 do KEYS[j] = nil end  -- each call sees exactly its own count
for j = #ARGV, %(args)d + 1, -1 do ARGV[j] = nil end
for j = 1, #__sk do KEYS[__sk[j]] = __keys[j] end
for j = 1, #__sa do ARGV[__sa[j]] = __args[1 + j] end
local __ko, __ao, __n = #__sk, 1 + #__sa, 0
LOGGED = {}
for __i = 1, tonumber(__args[1]) do
  for j = 1, #__ok do KEYS[__ok[j]] = __keys[__ko + j] end
  for j = 1, #__oa do ARGV[__oa[j]] = __args[__ao + j] end
  __ko, __ao = __ko + #__ok, __ao + #__oa
  local ok, reply = pcall(__run)
  local err = not ok and (type(reply) == 'table' and reply.err or tostring(reply))
              or type(reply) == 'table' and reply.err
  if err then reply = {'ERROR', string.match(err, '^ERR ([%%u_]+\\t.*)$') or err} end
  __out[__n + 1] = #reply  -- flat: the count of its items, then the items
  for j = 1, #reply do __out[__n + 1 + j] = reply[j] end
  __n = __n + 1 + #reply
end
log_gathered()
return __out
"""


@dataclass(frozen=True)
class Shape:
    """The KEYS and ARGV of one call of a script with a merged form: ``keys`` keys and ``args``
    arguments, of which those at ``shared_keys`` and ``shared_args`` (1-based, as the script reads
    them) are the same for every call a merged call holds - sent once for it - and the others the
    call's own. The store actor merges only calls whose shared values are equal (and sends a call of
    another count of keys or arguments alone, in the script's plain form)."""

    keys: int
    args: int
    shared_keys: tuple[int, ...]
    shared_args: tuple[int, ...]

    def __post_init__(self) -> None:
        if not {self.keys - 1, self.keys} <= set(self.shared_keys):  # log_gathered: the log's keys
            raise ValueError("the code change log's two keys (the last two) must be shared")
        for n, shared in ((self.keys, self.shared_keys), (self.args, self.shared_args)):
            if not set(shared) < set(range(1, n + 1)):
                raise ValueError(f"shared positions {shared} must be some of 1..{n}, not all")

    @property
    def own_keys(self) -> tuple[int, ...]:
        return tuple(i for i in range(1, self.keys + 1) if i not in self.shared_keys)

    @property
    def own_args(self) -> tuple[int, ...]:
        return tuple(i for i in range(1, self.args + 1) if i not in self.shared_args)

    @functools.cached_property
    def _pickers(self) -> tuple[Callable, Callable, Callable, Callable]:
        return (_picker(self.shared_keys), _picker(self.shared_args), _picker(self.own_keys),
                _picker(self.own_args))

    def split(self, keys: Sequence[str], args: Sequence[Any]) -> tuple[tuple[tuple, tuple], tuple, tuple] | None:
        """A call's ``(shared keys, shared args), own keys, own args``; None for a call of another
        shape (it runs alone)."""
        if len(keys) != self.keys or len(args) != self.args:
            return None
        shared_k, shared_a, own_k, own_a = self._pickers
        return (shared_k(keys), shared_a(args)), own_k(keys), own_a(args)

    def lua(self) -> str:
        """The merged form's tail (MERGED_TAIL) for calls of this shape."""
        listed = lambda positions: ", ".join(map(str, positions))  # noqa: E731
        return MERGED_TAIL % {"keys": self.keys, "args": self.args, "shared_keys": listed(self.shared_keys),
                              "shared_args": listed(self.shared_args), "own_keys": listed(self.own_keys),
                              "own_args": listed(self.own_args)}


# Scripts with a merged form, and the shape of their calls (the module docstring). coupon_reserve.lua
# (its header): the code's 5 keys are its own, its type's hash and per-customer uses (6, 7), the
# tenant's expiry index (8) and the code change log (10, 11) shared, the reservation index (9) its
# own; its ttl (5), the index's ttl (7) and the typeId (8) shared, the code, transaction, customer,
# now, reservationId and caller its own. A reserve that queues for central (three keys and two
# arguments more) runs alone.
MERGED = {"coupon_reserve": Shape(keys=11, args=9, shared_keys=(6, 7, 8, 10, 11), shared_args=(5, 7, 8))}


@dataclass(frozen=True)
class MergedForm:
    """A script's merged form as the store actor calls it (``Scripts.merged``): its calls are of
    ``shape`` (``shape.split``)."""

    script: Script
    shape: Shape


def merged_command(sha: str, shared: tuple[Sequence[str], Sequence[Any]],
                   own: Sequence[tuple[Sequence[str], Sequence[Any]]]) -> tuple:
    """The EVALSHA of the merged form ``sha`` for calls that share ``shared`` (keys, args), each
    with its ``own`` (keys, args) as ``Shape.split`` gives them (see MERGED_TAIL)."""
    shared_keys, shared_args = shared
    keys = [*shared_keys, *itertools.chain.from_iterable(k for k, _ in own)]
    return ("EVALSHA", sha, len(keys), *keys, len(own), *shared_args, *itertools.chain.from_iterable(a for _, a in own))


def _picker(positions: tuple[int, ...]) -> Callable[[Sequence[Any]], tuple]:
    """The values at ``positions`` (1-based) of a sequence, as a tuple: an itemgetter, picking in
    C (~0.1 µs a call), where it gives a tuple (of two positions or more)."""
    if len(positions) >= 2:
        return operator.itemgetter(*(i - 1 for i in positions))
    return lambda seq: tuple(seq[i - 1] for i in positions)


_DEFINES = re.compile(r"^local\s+(?:function\s+(\w+)|([\w\s,]+?)\s*=)", re.M)
_WORD = re.compile(r"[A-Za-z_]\w*")


def _code_words(lua: str) -> set[str]:
    """The identifiers ``lua`` names outside its comments."""
    return set(_WORD.findall(re.sub(r"--[^\n]*", "", lua)))


@functools.lru_cache(maxsize=1)
def _prelude_chunks() -> tuple[tuple[frozenset[str], frozenset[str], str], ...]:
    """The prelude cut at each top-level ``local`` definition (with the comment lines above it):
    per chunk, (the names it defines, the identifiers its code names, its text), in file order."""
    text = resources.files(LUA_PACKAGE).joinpath(PRELUDE).read_text(encoding="utf-8")
    starts = [m.start() for m in _DEFINES.finditer(text)]
    chunks = []
    for start, end in zip(starts, [*starts[1:], len(text)]):
        # a chunk ends where the next one's leading comment lines begin
        body = text[start:end]
        tail = re.search(r"(?:\n--[^\n]*)+\n*$", body)
        body = body[: tail.start() + 1] if tail else body
        head = text[:start]
        lead = re.search(r"(?:^|\n)((?:--[^\n]*\n)+)$", head)
        m = _DEFINES.match(text, start)
        names = frozenset([m.group(1)] if m.group(1) else (n.strip() for n in m.group(2).split(",")))
        chunks.append((names, frozenset(_code_words(body)), (lead.group(1) if lead else "") + body))
    return tuple(chunks)


def prelude_for(body: str) -> str:
    """The prelude's definitions ``body`` needs: those it names, and what they name, in the
    prelude's order (a Lua local is defined before it is used)."""
    chunks = _prelude_chunks()
    wanted = _code_words(body)
    for names, uses, _ in reversed(chunks):  # a definition only names earlier ones
        if names & wanted:
            wanted |= uses
    return "".join(text for names, _, text in chunks if names & wanted)


def _body(name: str) -> str:
    return resources.files(LUA_PACKAGE).joinpath(f"{name}.lua").read_text(encoding="utf-8")


def lua_source(name: str) -> str:
    """The text of ``<name>.lua`` as sent to Redis: the prelude's helpers it uses, then the script."""
    body = _body(name)
    return f"{prelude_for(body)}\n{body}"


def merged_source(name: str) -> str:
    """``<name>.lua`` in its merged form (:func:`merged_form`), for calls of its MERGED shape."""
    return merged_form(_body(name), MERGED[name])


def merged_form(body: str, shape: Shape) -> str:
    """A script's ``body`` in its merged form (see MERGED_HEAD) for calls of ``shape``: the
    prelude's helpers it and the loop use, once, then the body run for each call of the batch."""
    tail = shape.lua()
    return f"{prelude_for(body + tail)}\n{MERGED_HEAD}{body}{tail}"


def journaled_source(name: str) -> str:
    """``<name>.lua`` in its journaled form (see the module docstring): the prelude's helpers it
    uses, then the script's body as a function whose reply is recorded under the journal key, or
    the recorded reply when there is one."""
    body = _body(name)
    return f"{prelude_for(body)}\n{JOURNAL_HEAD}{body}{JOURNAL_TAIL}"


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
    coupon_void: Script
    coupon_issue: Script
    coupon_grant: Script
    coupon_generate: Script
    coupon_release: Script
    coupon_type_put: Script
    coupon_type_delete: Script
    points_book: Script
    points_claim: Script
    audit_append: Script
    idempotency_claim: Script
    idempotency_put: Script
    idempotency_release: Script
    promotions_write: Script
    store_settings_write: Script
    customer_usage: Script
    articles_upsert: Script
    import_claim: Script
    import_advance: Script
    import_fail: Script
    job_claim: Script
    job_start: Script
    job_complete: Script
    job_fail: Script
    job_recover: Script
    outbox_add: Script  # store-local mode (actors.sync)
    outbox_settle: Script
    outbox_pending: Script
    outbox_accepted: Script
    sync_iteration_put: Script
    sync_conflict_add: Script
    lease_grant: Script
    lease_use: Script
    lease_take: Script
    lease_untake: Script
    code_changes_log: Script
    code_sync_put: Script
    lease_return: Script
    lease_release: Script
    lease_expire: Script

    @classmethod
    def register(cls, client: redis.Redis) -> "Scripts":
        """Register every script on ``client``. No network traffic: loading happens on first use."""
        scripts = cls(**{f.name: client.register_script(lua_source(f.name)) for f in fields(cls)})
        journaled = {getattr(scripts, f.name).sha: client.register_script(journaled_source(f.name))
                     for f in fields(cls) if f.name not in UNJOURNALED}
        merged = {getattr(scripts, name).sha: MergedForm(client.register_script(merged_source(name)), shape)
                  for name, shape in MERGED.items()}
        object.__setattr__(scripts, "_journaled", journaled)  # not fields: one per script
        object.__setattr__(scripts, "_merged", merged)
        return scripts

    def journaled(self, script: Script) -> Script | None:
        """The journaled form of ``script``, or None for the Idempotency-Key's own scripts."""
        return self._journaled.get(script.sha)

    def merged(self, script: Script) -> MergedForm | None:
        """The merged form of ``script`` (MERGED), or None."""
        return self._merged.get(script.sha)

    def all(self) -> list[Script]:
        """Every script to load: the plain forms, then the journaled and the merged ones."""
        return [getattr(self, f.name) for f in fields(self)] + [*self._journaled.values(),
                                                                *(m.script for m in self._merged.values())]


def script_names() -> list[str]:
    """Every .lua file in the package except the prelude (a test checks they all have a field)."""
    root = resources.files(LUA_PACKAGE)
    return sorted(
        p.name[: -len(".lua")]
        for p in root.iterdir()
        if p.name.endswith(".lua") and p.name != PRELUDE
    )
