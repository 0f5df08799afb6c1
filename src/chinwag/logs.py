"""Logging of the server processes: one format for every line (time, level, logger, message) and
the access log, one line per request.

`chinwag serve` writes `--log-level` and `--access-log` into CHINWAG_LOG_LEVEL and
CHINWAG_ACCESS_LOG; each worker process configures itself from them when its app is built.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import Scope

LEVELS = ("debug", "info", "warning", "error")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

access = logging.getLogger("chinwag.access")


class UtcFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"


def configure(level: str) -> None:
    """Every chinwag logger to stderr, with a UTC timestamp and the level, at `level` and above."""
    root = logging.getLogger("chinwag")
    if not any(getattr(h, "chinwag", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(UtcFormatter(FORMAT))
        handler.chinwag = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        root.propagate = False
    root.setLevel(level.upper() if level.lower() in LEVELS else "INFO")


def granian_config() -> dict[str, Any]:
    """granian's own lines (start, workers, shutdown) in the same format, on stderr."""
    return {
        "formatters": {"generic": {"()": f"{__name__}.UtcFormatter", "fmt": FORMAT.replace("%(name)s", "granian")}},
        "handlers": {
            "console": {"formatter": "generic", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
        },
        "loggers": {"_granian": {"handlers": ["console"], "level": "INFO", "propagate": False}},
    }


def log_request(scope: Scope, response: Response, started: float) -> None:
    """`GET /v1/Users/alcie 404 20404 0.8ms`: method, path, status, Twilio error code (`-` when
    none), duration. Called after the response is sent, only when the access log is on."""
    status = response.status_code
    code = "-"
    if status >= 400:
        body = getattr(response, "body", b"")
        if body[:1] == b"{":
            with contextlib.suppress(orjson.JSONDecodeError):
                code = str(orjson.loads(body).get("code", "-"))
    elapsed = (time.perf_counter() - started) * 1000
    access.info("%s %s %d %s %.1fms", scope["method"], scope["path"], status, code, elapsed)
