"""JSON logs: one object per line, and one access line per request with its request id."""
from __future__ import annotations

import logging
import sys
import time

import orjson

ACCESS = logging.getLogger("dre.access")
# LogRecord attributes that are not user-supplied ``extra`` fields.
_STD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", ...extra, "exc"?}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for k, v in vars(record).items():
            if k not in _STD:
                out[k] = v
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def configure_logging(level: int | str = logging.INFO) -> None:
    """Route every logger to stderr as JSON lines (idempotent: replaces the root handlers)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def log_request(*, request_id: str, method: str, path: str, route: str, status: int,
                duration_ms: float, tenant: str | None) -> None:
    """The access line of one request."""
    ACCESS.info("request", extra={"request_id": request_id, "method": method, "path": path, "route": route,
                                  "status": status, "duration_ms": round(duration_ms, 3), "tenant": tenant})
