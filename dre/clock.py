"""Wall-clock times on the wire: the store keeps milliseconds since the epoch, answers say ISO 8601."""
from __future__ import annotations

from datetime import datetime, timezone


def iso_ms(ms: int | str | None) -> str | None:
    """Milliseconds since the epoch as ISO 8601 UTC with milliseconds (``...T09:15:00.123Z``); None
    (or "") stays None."""
    if ms is None or ms == "":
        return None
    t = datetime.fromtimestamp(int(ms) / 1000, timezone.utc)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")
