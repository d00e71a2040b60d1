"""Script replies -> DREError: error replies, and confirm's refusals.

Scripts fail with ``redis.error_reply("CODE\\tsubject\\treason")`` (see ``lua/_common.lua``),
which redis-py surfaces as a ``ResponseError`` with that text. The first field is the contract's
error code, the second names what failed (coupon code, reservation, coupon type), the third says
why. :data:`STATUS_BY_CODE` gives the HTTP status of each code.

``confirm.lua`` judges every confirm itself and answers its verdict as a plain reply (see its
header); :data:`CONFIRM_REFUSALS` is the one table turning a refusal into the error the client gets.
"""
from __future__ import annotations

import redis

from dre.errors import DREError, Issue

STATUS_BY_CODE = {
    "NOT_FOUND": 404,  # unknown coupon / reservation / coupon type
    "COUPON_UNAVAILABLE": 409,  # a coupon's state refuses the transition (subject: the code)
    "ALREADY_REDEEMED": 409,  # second redeem of a reservation
    "COUPON_CODE_TAKEN": 409,  # a GENERIC type names a code another type owns
    "ALREADY_EXISTS": 409,  # create of an id that exists (coupon type)
}
# confirm.lua's refusal {verdict, subject, value} -> (HTTP status, error code, message, issue): the
# error the client gets, with details [{path: subject, issue}]. Placeholders: {txn} and {counter} of
# the confirm, {subject} (the transaction, a promotion id or a coupon code), {value} (the confirmed
# or the latest counter; why the budget or the coupon refused).
CONFIRM_REFUSALS: dict[str, tuple[int, str, str, str]] = {
    "ALREADY_CONFIRMED": (409, "ALREADY_CONFIRMED", "transaction {txn} was confirmed with counter {value}",
                          "confirmed with counter {value}"),
    "STALE_ITERATION": (409, "STALE_ITERATION", "counter {counter} of transaction {txn} is not the latest ({value}): "
                                                "only the latest iteration can be confirmed",
                        "latest counter is {value}"),
    "NEVER_ISSUED": (404, "NOT_FOUND", "transactionCounter {counter} of transaction {txn} was never issued (or the "
                                       "transaction has expired)", "counter never issued"),
    "EXPIRED": (404, "NOT_FOUND", "iteration {counter} of transaction {txn} has expired: evaluate the basket again",
                "iteration expired"),
    "BUDGET_EXHAUSTED": (409, "BUDGET_EXHAUSTED", "the budget of promotion {subject} is exhausted ({value}); nothing "
                                                  "was consumed", "{value}"),
    "COUPON_UNAVAILABLE": (409, "COUPON_UNAVAILABLE", "coupon {subject} cannot be claimed ({value}); nothing was "
                                                      "consumed", "{value}"),
    "RETURN_EXCEEDS_SALE": (409, "RETURN_EXCEEDS_SALE", "a return of sale {subject} was confirmed since this "
                                                        "iteration was priced (or the sale is no longer kept): "
                                                        "evaluate the basket again; nothing was consumed",
                            "{value}"),
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


def confirm_refusal(reply: list, txn: str, counter: int) -> DREError:
    """The DREError of confirm.lua's refusal ``reply`` ({verdict, subject, value?}) for the confirm
    of ``counter`` of ``txn``. Raises KeyError for a verdict that is no refusal."""
    verdict, subject, value = (list(reply) + [""])[:3]
    status, code, message, issue = CONFIRM_REFUSALS[verdict]
    fields = {"txn": txn, "counter": counter, "subject": subject, "value": value}
    return DREError(status, code, message.format(**fields), [Issue(subject, issue.format(**fields))])
