"""Confirm: commit the priced result of an evaluate iteration (``commit``), the route and the
side-effects state route (``routes``, ``side_effects``), and their documented bodies (``schemas``).
"""
from api.confirm.routes import bp
from api.confirm.schemas import ConfirmRequestBody, ConfirmResponse, SideEffectsResponse

__all__ = ["ConfirmRequestBody", "ConfirmResponse", "SideEffectsResponse", "bp"]
