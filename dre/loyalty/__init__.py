"""The loyalty POS event: the bill of a member, its points, and the answer (pure domain, no I/O)."""
from dre.loyalty.event import BillLine, PosEvent, Staff, fingerprint, replay_key
from dre.loyalty.points import loyalty_promotions, parts, points_for, points_of, to_basket
from dre.loyalty.result import (NativeDiscountResult, OperationResult, PosEventError, PosEventResponse, Reward,
                                StatusCode, error_response)

__all__ = ["BillLine", "NativeDiscountResult", "OperationResult", "PosEvent", "PosEventError", "PosEventResponse",
           "Reward", "Staff", "StatusCode", "error_response", "fingerprint", "loyalty_promotions", "parts", "points_for", "points_of",
           "replay_key", "to_basket"]
