"""Pydantic models of the contract's JSON bodies that the domain itself reads.

They validate requests and promotions and generate the OpenAPI document; `dre.basket` and
`dre.promotion` turn them into the engine's integer-unit domain objects.
"""
from dre.wire.convert import validation_error
from dre.wire.evaluate import EvaluateRequestBody
from dre.wire.promotion import PromotionIn

__all__ = ["EvaluateRequestBody", "PromotionIn", "validation_error"]
