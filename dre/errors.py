"""The contract's one error shape, as an exception that every layer may raise.

``{"error": {"code": "INVALID_INPUT", "message": "...", "details": [{"path": ..., "issue": ...}]}}``
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Issue:
    """One thing wrong with the input: where (a JSON path such as ``request.items[2].quantity``) and why."""

    path: str
    issue: str

    def to_json(self) -> dict:
        return {"path": self.path, "issue": self.issue}


@dataclass
class DREError(Exception):
    """An error that maps onto an HTTP status and the contract's error body."""

    status: int
    code: str
    message: str
    details: list[Issue] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def to_json(self) -> dict:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "details": [d.to_json() for d in self.details],
            }
        }


def invalid(message: str, details: list[Issue] | None = None) -> DREError:
    """A 400 INVALID_INPUT error."""
    return DREError(400, "INVALID_INPUT", message, details or [])


def not_found(what: str) -> DREError:
    return DREError(404, "NOT_FOUND", f"{what} not found")


def conflict(code: str, message: str, details: list[Issue] | None = None) -> DREError:
    return DREError(409, code, message, details or [])


def join_path(*parts: str | int) -> str:
    """``join_path("request", "items", 2, "quantity")`` -> ``request.items[2].quantity``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif out:
            out += "." + p
        else:
            out = p
    return out
