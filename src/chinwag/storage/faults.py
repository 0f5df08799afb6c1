"""Database faults: which errors mean "the database cannot do this right now", and one watcher
per process that says so once per interval instead of once per request.

A full disk, a read-only file, an I/O error, a lock held too long, a PostgreSQL connection that
was terminated: none is a bug in the request, and none is fixed by retrying the same statement on
the same connection at once. The HTTP layer answers them 503 in Twilio's body (docs/decisions.md
#50) and logs through `monitor`, without a traceback: 15 MB of identical tracebacks in 20 s
helped nobody (issue 13). The condition clears by itself when a write commits again; `/health`
reports it meanwhile (`monitor.health()`).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

import asyncpg

log = logging.getLogger("chinwag.storage")

# How often the same condition is logged again while it lasts.
REPORT_INTERVAL = 10.0

# SQLite primary result codes (the low byte of `sqlite_errorcode`) that are faults of the
# database or its disk, not of the request: https://sqlite.org/rescode.html
_SQLITE_FAULTS = {
    5: "busy",  # SQLITE_BUSY: another writer held the lock past busy_timeout
    6: "busy",  # SQLITE_LOCKED
    7: "out-of-memory",  # SQLITE_NOMEM
    8: "read-only",  # SQLITE_READONLY
    10: "io-error",  # SQLITE_IOERR
    11: "corrupt",  # SQLITE_CORRUPT
    13: "disk-full",  # SQLITE_FULL (also max_page_count reached)
    14: "cannot-open",  # SQLITE_CANTOPEN
    26: "corrupt",  # SQLITE_NOTADB
}


class StorageFault(Exception):
    """The database could not run this request's transaction.

    `retryable`: it failed before COMMIT was sent, so nothing of it was applied and running the
    whole transaction again (on a fresh connection) is safe. `outcome_unknown`: the connection was
    lost while COMMIT was under way; the change may or may not have been applied, so it must not be
    retried blindly (docs/decisions.md #51)."""

    def __init__(self, kind: str, detail: str, *, retryable: bool = False, outcome_unknown: bool = False) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.retryable = retryable
        self.outcome_unknown = outcome_unknown


def sqlite_fault_kind(exc: BaseException) -> str | None:
    if not isinstance(exc, sqlite3.Error):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _SQLITE_FAULTS.get(code & 0xFF)
    return None


# asyncpg errors that mean the connection (or the server behind it) is gone or refusing work:
# terminated backends (57P01 admin shutdown, 57P02/57P03), broken connections (class 08), a
# connection left in an impossible state by one of those (InternalClientError: "cannot switch to
# state 12"), the server out of resources (class 53: disk full, too many connections), and a
# read-only server (25006, a standby or default_transaction_read_only).
_PG_FAULTS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.ReadOnlySQLTransactionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    ConnectionError,
    TimeoutError,
    OSError,
)


def postgres_connection_fault(exc: BaseException) -> bool:
    if isinstance(exc, asyncpg.ClientConfigurationError):
        return False
    return isinstance(exc, _PG_FAULTS)


def classify(exc: BaseException) -> StorageFault | None:
    """The fault `exc` stands for, or None when it is not a database fault (then it is a bug)."""
    if isinstance(exc, StorageFault):
        return exc
    kind = sqlite_fault_kind(exc)
    if kind is not None:
        return StorageFault(kind, str(exc))
    if isinstance(exc, sqlite3.OperationalError) and type(exc).__name__ == "BatchLost":
        return StorageFault("batch-lost", str(exc))
    if postgres_connection_fault(exc):
        return StorageFault("connection-lost", f"{type(exc).__name__}: {exc}")
    return None


class FaultMonitor:
    """This process's view of the database's health: the fault seen last (until a write commits
    again), logged at most once per REPORT_INTERVAL, whatever its kind, with a count of the requests
    refused. One outage can show as several kinds (a file made immutable fails one write as an I/O
    error and the next as read-only): per kind, it was said once for each (docs/decisions.md #50)."""

    def __init__(self) -> None:
        # Which process this is, for a process that answers no requests (the webhook delivery
        # process): its reports say so, and that it retries instead of answering 503.
        self.where = ""
        self.failing: StorageFault | None = None
        self.since: float = 0.0
        self._reported = float("-inf")  # when a fault was last logged (time.monotonic())
        self._refused = 0
        self._unanswered = False  # a fault was logged, its end not yet

    def record(self, fault: StorageFault) -> None:
        now = time.monotonic()
        if self.failing is None:
            self.since = time.time()
        self.failing = fault
        self._refused += 1
        if now - self._reported >= REPORT_INTERVAL:
            self._reported = now
            where, consequence = (f" in {self.where}", "retrying") if self.where else ("", "answering 503")
            log.error(
                "database fault (%s)%s: %s; %s until it clears (%d refused since the last report)",
                fault.kind,
                where,
                fault.detail,
                consequence,
                self._refused,
            )
            self._refused = 0
            self._unanswered = True

    def write_committed(self) -> None:
        """A transaction that changed something committed: whatever was failing works again.
        Said once per report of the fault: a flapping database logs no more than a steady one."""
        if self.failing is not None:
            if self._unanswered:
                log.warning("database writes work again after %s", self.failing.kind)
                self._unanswered = False
            self.failing = None

    def health(self) -> dict[str, Any]:
        if self.failing is None:
            return {"status": "ok"}
        return {
            "status": "degraded",
            "database": self.failing.kind,
            "detail": self.failing.detail,
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.since)),
        }


# One per process: every worker process has its own connections, and its own view.
monitor = FaultMonitor()


def report_background_failure(logger: logging.Logger, what: str, exc: BaseException) -> None:
    """For background tasks (timers, webhook dispatch) that retry by themselves: a database fault
    goes to `monitor` (once per interval, no traceback); anything else is a bug, logged in full."""
    fault = classify(exc)
    if fault is None:
        logger.error("%s failed; retrying", what, exc_info=exc)
    else:
        monitor.record(fault)
