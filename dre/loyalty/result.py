"""What a loyalty POS event answers: status codes, the response record and the error to raise.

Status codes (``result.statusCode`` of LoyaltyPOSEventResponse) and how this service uses them:

- 0 Success: the event was read and its points computed.
- 1 UnknownFailure (HTTP 422): a failure that is neither the server's nor a fault of the request's
  form: a downstream refusal, such as the store refusing to book more points than it holds
  exactly. Nothing was booked.
- 2 InternalServerError (HTTP 503 when the store or the engine is unavailable: retry; 500 for a
  bug).
- 3 InvalidInput: the body cannot be read as a LoyaltyPOSEventRequest at all: unsupported content
  type, malformed JSON, XML or form, a refused XML document (DTD, entities, external references, too
  large, too deep, too many elements), a wrong root element, a missing required field, a value of
  the wrong type (text where a number is due, a number where a boolean is due, an integer beyond
  64 bits, a number that is not finite, ...).
- 4 IncorrectArguments: the body reads, but a value breaks a rule: too many decimals (money 2,
  quantities 3), a quantity of 0, an amount whose sign differs from its quantity's, an empty
  loyalty number,
  values beyond the engine's limits (or an amount or quantity of 10^15 or more), more than 50
  nativeDiscounts. Also (HTTP 409) a replay key already claimed by another bill: the same member,
  checkNumber and businessDate with a different body; nothing of it is done (no native discount
  redeemed).
- 5 ScheduledMaintenance (HTTP 503 with Retry-After): the tenant is in loyalty maintenance (the
  admin toggle ``PUT /admin/loyalty/maintenance``); nothing is read or booked.
- 6 SuccessDataUnchanged: a replay of an event already booked (same member, checkNumber and
  businessDate, and the same bill): the same answer again, no points booked twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class StatusCode(IntEnum):
    SUCCESS = 0
    UNKNOWN_FAILURE = 1
    INTERNAL_SERVER_ERROR = 2
    INVALID_INPUT = 3
    INCORRECT_ARGUMENTS = 4
    SCHEDULED_MAINTENANCE = 5
    SUCCESS_DATA_UNCHANGED = 6


@dataclass(frozen=True)
class OperationResult:
    """The seed's ``Result``: {statusCode, description, exceptionTrackingMoniker}."""

    status: StatusCode
    description: str | None = None
    moniker: str | None = None  # exceptionTrackingMoniker: an id the caller quotes to support


@dataclass(frozen=True)
class Reward:
    """One available reward of the member (the seed's ``Reward``)."""

    promotion_id: int  # the seed's integer id: dre.loyalty.rewards.promotion_number
    promotion_code: str | None = None
    public_name: str | None = None
    public_description: str | None = None
    public_restrictions: str | None = None
    expiration: str | None = None  # free text on the seed ("sample string 6"), passed through
    value: int = 0  # hundredths of the face value's unit (dre.loyalty.rewards); promotionValue = value / 100
    reward_uuid: str | None = None
    promotion_key: str | None = None  # DRE's own promotion id (promotionKey; not on the seed)


@dataclass(frozen=True)
class NativeDiscountResult:
    """The answer to one ``nativeDiscounts`` code (``LoyaltyPromotionResult`` in XML)."""

    code: str | None
    result: OperationResult


@dataclass(frozen=True)
class PosEventResponse:
    """LoyaltyPOSEventResponse: the shape of every answer of the route, errors included."""

    points_earned: int
    total_points: int
    result: OperationResult
    rewards: tuple[Reward, ...] = ()
    native_discount_results: tuple[NativeDiscountResult, ...] = ()


def error_response(status: StatusCode, description: str, moniker: str | None = None) -> PosEventResponse:
    """An error answer: no points, no rewards, the status and why."""
    return PosEventResponse(0, 0, OperationResult(status, description, moniker))


class PosEventError(Exception):
    """Bad input (3 or 4) raised by the codecs and the event's own checks; no state was changed."""

    def __init__(self, status: StatusCode, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description

    def to_response(self, moniker: str | None = None) -> PosEventResponse:
        return error_response(self.status, self.description, moniker)


def invalid_input(description: str) -> PosEventError:
    return PosEventError(StatusCode.INVALID_INPUT, description)


def incorrect(description: str) -> PosEventError:
    return PosEventError(StatusCode.INCORRECT_ARGUMENTS, description)
