"""Script error replies -> DREError.

Scripts fail with ``redis.error_reply("CODE\\tsubject\\treason")`` (see ``lua/_common.lua``),
which redis-py surfaces as a ``ResponseError`` with that text. The first field is the contract's
error code, the second names what failed (promotion id, coupon code, transaction, reservation),
the third says why. :data:`STATUS_BY_CODE` gives the HTTP status of each code.
"""
from __future__ import annotations

import redis

from dre.errors import DREError, Issue

STATUS_BY_CODE = {
    "NOT_FOUND": 404,  # unknown coupon / reservation; counter never issued
    "STALE_ITERATION": 409,  # confirm of an older counter
    "ALREADY_CONFIRMED": 409,  # confirm of another counter of a confirmed transaction
    "BUDGET_EXHAUSTED": 409,  # a promotion's budget has no room (subject: promotion id)
    "COUPON_UNAVAILABLE": 409,  # a coupon cannot be reserved / claimed (subject: the code)
    "ALREADY_REDEEMED": 409,  # second redeem of a reservation
    "COUPON_CODE_TAKEN": 409,  # a GENERIC type names a code another type owns
    "ALREADY_EXISTS": 409,  # create of an id that exists (coupon type)
}
UNAVAILABLE = "STORE_UNAVAILABLE"  # 503: Redis unreachable, breaker open, or a call timed out
SEP = "\t"  # field separator of script error replies (ids and codes never contain a tab)


def store_unavailable(message: str) -> DREError:
    """The 503 every writing route answers when the store cannot be reached."""
    return DREError(503, UNAVAILABLE, message)


def parse_script_error(exc: redis.ResponseError) -> DREError | None:
    """A DREError for one of our script errors, or None for any other error reply."""
    text = str(exc)
    code, sep, rest = text.partition(SEP)
    if not sep or code not in STATUS_BY_CODE:
        return None
    subject, _, reason = rest.partition(SEP)
    message = f"{code.replace('_', ' ').lower()}: {subject}" + (f" ({reason})" if reason else "")
    return DREError(STATUS_BY_CODE[code], code, message, [Issue(subject, reason or code)])
