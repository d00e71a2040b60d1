"""Wall-clock times on the wire: the store keeps milliseconds since the epoch, answers say ISO 8601.

Every conversion of an epoch time to ISO 8601 goes through :func:`iso_utc`.
"""
from __future__ import annotations

from datetime import datetime, timezone


def iso_utc(seconds: float, timespec: str = "auto") -> str:
    """Seconds since the epoch as ISO 8601 UTC (``...T09:15:00.123456+00:00``); ``timespec`` as
    for ``datetime.isoformat`` ("auto": whole seconds bare, else microseconds)."""
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec=timespec)


def iso_ms(ms: int | str | None, timespec: str = "milliseconds") -> str | None:
    """Milliseconds since the epoch (the store's stamps) as ISO 8601 UTC ending in ``Z``: with
    milliseconds (``...T09:15:00.123Z``), or as ``timespec`` says (see :func:`iso_utc`). None
    (or "") stays None."""
    if ms is None or ms == "":
        return None
    return iso_utc(int(ms) / 1000, timespec).replace("+00:00", "Z")
