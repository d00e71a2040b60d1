"""Pydantic validation errors -> the contract's error shape."""
from __future__ import annotations

from pydantic import ValidationError

from dre.errors import DREError, Issue, invalid, join_path


def validation_error(exc: ValidationError, root: str = "") -> DREError:
    """A 400 INVALID_INPUT whose details name each failing field by its JSON path under ``root``."""
    details = []
    for err in exc.errors(include_url=False):
        # Discriminated unions add the tag ('ARTICLE') as a path element; it is no JSON key.
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.isupper())] or []
        path = join_path(*([root] if root else []), *loc) or (root or "$")
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        details.append(Issue(path, msg))
    first = details[0] if details else None
    message = f"{first.path}: {first.issue}" if first else "invalid input"
    return invalid(message, details)
