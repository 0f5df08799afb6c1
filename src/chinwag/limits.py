"""How many connections a server process takes, and how long it waits for a slow client
(docs/decisions.md #52). Set deliberately, not left at the HTTP server's defaults.

granian's defaults let 1,024 idle TCP connections (no bytes sent, no credentials) stop a worker
from answering anyone: its per-worker connection limit ("backpressure") defaults to the listen
backlog, 1,024, and an idle connection held its place until the client closed it. A client that
sent half its headers was waited for 30 s, one that stalled its body (after authenticating) for
minutes. Here:

- `max_connections` per worker is 10,000 (`CHINWAG_MAX_CONNECTIONS`), and the process raises its
  own open-file limit to fit (up to the hard limit), so idle sockets are cheap to hold and a normal
  client still gets served among thousands of them;
- `backlog` (connections the kernel queues before they are accepted) is 4,096, clamped by the
  kernel's `net.core.somaxconn`;
- the header timeout is 10 s (`CHINWAG_HEADER_TIMEOUT`): a connection that has not sent a whole
  request head by then is closed, idle or half-sent;
- the body timeout is 30 s (`CHINWAG_BODY_TIMEOUT`, applied by the app, http/context.py): a body
  that has not fully arrived by then is answered 408 in Twilio's body.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from typing import Any

MAX_CONNECTIONS = 10_000
BACKLOG = 4096
HEADER_TIMEOUT = 10.0
# File descriptors a process needs besides its client connections (database, logs, pipes).
_SPARE_FILES = 256


@dataclass(frozen=True)
class FloodLimits:
    max_connections: int
    backlog: int
    header_timeout: float

    def granian_options(self) -> dict[str, Any]:
        from granian.http import HTTP1Settings

        return {
            "backlog": self.backlog,
            "backpressure": self.max_connections,
            "http1_settings": HTTP1Settings(header_read_timeout=max(1, int(self.header_timeout * 1000))),
        }


def flood_limits() -> FloodLimits:
    limits = FloodLimits(
        max_connections=int(os.environ.get("CHINWAG_MAX_CONNECTIONS", MAX_CONNECTIONS)),
        backlog=BACKLOG,
        header_timeout=float(os.environ.get("CHINWAG_HEADER_TIMEOUT", HEADER_TIMEOUT)),
    )
    raise_open_file_limit(limits.max_connections + _SPARE_FILES)
    return limits


def raise_open_file_limit(wanted: int) -> int:
    """Raise this process's soft limit on open files towards `wanted` (never past the hard limit,
    which only root can raise); worker processes inherit it. Returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft
