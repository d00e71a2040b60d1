"""A local instance's coupon calls made again at central: those it answered itself while central
was away (docs/local-store.md "Coupon calls made while central was away").

Each call that changed a code here (reserve, redeem, cancel, void) was queued in the same atomic
step (``actors.sync.CouponOutbox``). The forwarder makes them at central in that order, one at a
time, through central's own POS routes, so each has there the effect it had here:

* reserve: the same code, transaction and customer; central draws its own reservationId, kept in
  the verdict, and the later redeem or cancel of the reservation names that one. A reservation
  that lapsed here before it was sent, and that was not redeemed, is not sent (LAPSED): central
  would have let it lapse too (a confirm that used it claims the code at central itself).
* redeem, cancel: of central's reservation for this one; not sent when central never held it
  (its reserve was refused: REFUSED, or not sent: SKIPPED).
* void: the code.

Every call carries an Idempotency-Key of its own (``dre-local/<instance>/<call id>``), so one
sent again (an answer lost, a crash before settling) is a replay at central for 24 h and changes
nothing; while the first is still running there, the call stays queued. A call central refuses
(a 4xx: e.g. the code was redeemed at another store meanwhile) is settled with central's answer
and kept (``outbox:settled``), never dropped.
"""
from __future__ import annotations

from typing import Any

import orjson

from actors.sync.link import CentralLink, central_unavailable
from actors.sync.outbox import CouponOutbox

PATHS = {op: f"/pos/coupons/{op}" for op in ("reserve", "redeem", "cancel", "void")}
IN_PROGRESS = "IN_PROGRESS"  # central's answer while a call with the same Idempotency-Key runs


def idempotency_key(instance: str, call_id: str) -> str:
    """The key a queued call is made with at central: the same on every resend, no lane's."""
    return f"dre-local/{instance}/{call_id}"


def _json(content: bytes) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return content.decode(errors="replace")


async def _body(outbox: CouponOutbox, tenant: str, call: dict, now_ms: int) -> tuple[dict | None, dict | None]:
    """(what central's route takes for ``call``, None); or (None, its verdict) when it is not sent."""
    op, rid = call["op"], call.get("reservationId")
    if op == "reserve":
        if call["expiresAt"] <= now_ms and not await outbox.queued(tenant, f"redeem/{rid}"):
            return None, {"status": "LAPSED", "reason": "the reservation lapsed here before central answered"}
        return {"code": call["code"], "transactionId": call["transactionId"],
                **({"customerId": call["customerId"]} if call.get("customerId") else {})}, None
    if op in ("redeem", "cancel"):
        reserved = await outbox.verdict(tenant, f"reserve/{rid}")
        if reserved is None or reserved["status"] != "ACCEPTED":
            status = "SKIPPED" if reserved is not None and reserved["status"] == "LAPSED" else "REFUSED"
            return None, {"status": status, "reason": "central holds no reservation for it", "reservation": reserved}
        return {"reservationId": reserved["reservationId"]}, None
    return {"code": call["code"]}, None


async def make_at_central(link: CentralLink, outbox: CouponOutbox, tenant: str, instance: str,
                          call_id: str, call: dict, now_ms: int) -> dict:
    """Make the queued ``call`` at central; returns the verdict to settle it with (ACCEPTED with
    central's answer - for a reserve its reservationId -, REFUSED with it, or LAPSED / SKIPPED /
    REFUSED unsent). Raises DREError 503 when central is away or still running the same call
    (nothing to settle: sent again later)."""
    body, unsent = await _body(outbox, tenant, call, now_ms)
    if body is None:
        assert unsent is not None
        return unsent
    r = await link.relay(PATHS[call["op"]], orjson.dumps(body),
                         {"Content-Type": "application/json", "Idempotency-Key": idempotency_key(instance, call_id)})
    answer = _json(r.content)
    if r.status_code == 409 and isinstance(answer, dict) and (answer.get("error") or {}).get("code") == IN_PROGRESS:
        raise central_unavailable(f"central is still making coupon call {call_id}")
    verdict = {"status": "ACCEPTED" if r.status_code < 400 else "REFUSED", "httpStatus": r.status_code,
               "answer": answer}
    if call["op"] == "reserve" and verdict["status"] == "ACCEPTED":
        verdict["reservationId"] = answer["reservationId"]
    return verdict
