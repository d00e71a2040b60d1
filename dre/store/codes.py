"""Coupon codes: unguessable, drawn with ``secrets`` from an alphabet without look-alikes."""
from __future__ import annotations

import secrets

# No 0/O, 1/I/L: codes are read aloud and typed at tills. 31 symbols -> ~4.95 bits each.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MIN_RANDOM_CHARS = 6  # ~30 bits at least: a codeLength that leaves fewer random characters is stretched


def new_code(prefix: str, length: int) -> str:
    """A code of ``length`` characters (prefix included), random after the prefix.

    The random part is never shorter than MIN_RANDOM_CHARS, so a short codeLength with a long
    prefix still gives an unguessable code (the code is then longer than asked).
    """
    n = max(length - len(prefix), MIN_RANDOM_CHARS)
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(n))


def new_token(prefix: str) -> str:
    """An opaque random id (reservations, idempotency owners): 128 bits, URL-safe."""
    return f"{prefix}{secrets.token_urlsafe(16)}"
