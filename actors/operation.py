"""The write a request is making, as far as the store must know it: its outcome journal.

A store call can end without a reply while Redis still runs it (the call's deadline passed, the
connection broke after the command was sent). The client sees a 503 and retries with the same
``Idempotency-Key``; the retry must find what the first attempt did, not do it again. So every
script a request with an Idempotency-Key runs is *journaled*: the script itself, in the same
atomic step, records its reply under a key derived from the request (tenant, route, key, body)
and the call (script, keys), and a later run of the same call returns that reply instead of
running again (``dre.store.scripts.journaled_source``). The retry re-runs the handler; each of its
store calls meets its first outcome, so it answers what the first attempt would have.

The API layer opens an :class:`Operation` per claimed request (``api.http.idempotency``); the
store core reads it with :func:`current` when it sends a script, and marks it when a call's
outcome became unknown, so that the claim is kept for the retry instead of released.
"""
from __future__ import annotations

import contextvars
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

JOURNAL_TTL_S = 24 * 3600  # as long as the Idempotency-Key's answer (a retry can come that late)

_CURRENT: contextvars.ContextVar["Operation | None"] = contextvars.ContextVar("dre_operation", default=None)


def hash_tag(key: str) -> str:
    """The cluster hash tag of ``key`` (the text between its first ``{`` and the next ``}``), or
    the whole key when it has none: a journal key in the same slot as the script's keys."""
    start = key.find("{")
    end = key.find("}", start + 1)
    return key[start + 1:end] if start >= 0 and end > start + 1 else key


@dataclass
class Operation:
    """One request's writes. ``request_id`` names the request (same tenant, route, key and body
    give the same id, whichever attempt it is); ``outcome_unknown`` is set by the store core."""

    request_id: str
    outcome_unknown: bool = False
    journal_keys: list[str] = field(default_factory=list)  # every journal key its calls named
    _seen: Counter = field(default_factory=Counter)

    def journal_key(self, script_sha: str, keys: Sequence[str], subject: str | None = None) -> str:
        """Where the reply of this call (the n-th call of this script with these keys, or with
        this ``subject`` when the caller names one, in this request) is journaled. Counting per
        (script, keys) keeps the names stable between attempts even when a handler makes
        independent calls concurrently."""
        named = (subject,) if subject is not None else tuple(keys)
        call = hashlib.sha256("\n".join((script_sha, *named)).encode()).hexdigest()[:24]
        self._seen[call] += 1
        key = f"dre:{{{hash_tag(keys[0])}}}:op:{self.request_id}:{call}:{self._seen[call]}"
        self.journal_keys.append(key)
        return key


def begin(tenant: str, route: str, key: str, fingerprint: str) -> tuple[Operation, contextvars.Token]:
    """Make the current task's store calls part of this request's operation until :func:`end`."""
    request_id = hashlib.sha256("\n".join((tenant, route, key, fingerprint)).encode()).hexdigest()[:32]
    op = Operation(request_id)
    return op, _CURRENT.set(op)


def end(token: contextvars.Token) -> None:
    try:
        _CURRENT.reset(token)
    except ValueError:  # ended from another context than it began in: just leave it
        _CURRENT.set(None)


def current() -> Operation | None:
    """The operation of the running request, or None (no Idempotency-Key, or a background task)."""
    return _CURRENT.get()
