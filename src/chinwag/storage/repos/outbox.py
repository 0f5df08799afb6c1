"""The webhook outbox's SQL (migration 0007; the flow is described in chinwag/events/__init__.py).

A lane is one receiver URL and one conversation (or user); its deliveries go out in id order.
Writers lock the lane's row (the upsert) before inserting a delivery: on PostgreSQL two
transactions writing to one lane then allocate ids in the order they commit (docs/decisions.md
#72); on SQLite the single writer gives that already.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from chinwag.core.pagination import PageRequest
from chinwag.domain.models import Page
from chinwag.storage.db import Row, Tx
from chinwag.storage.repos.paging import keyset_page

NOTIFY_CHANNEL = "chinwag_outbox"
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"

COLUMNS = (
    "id, sid, account_sid, conversation_sid, lane, event_type, url, method, params, token, status, attempts,"
    " next_at, created_at, response_status, response_body, error, date_created, date_updated"
)


@dataclass(slots=True)
class Delivery:
    id: int
    sid: str
    account_sid: str
    conversation_sid: str | None
    lane: str
    event_type: str
    url: str
    method: str
    params: str  # JSON array of [name, value]
    token: str
    status: str
    attempts: int
    next_at: float
    created_at: float
    response_status: int | None
    response_body: str | None
    error: str | None
    date_created: str
    date_updated: str


def from_row(row: Row) -> Delivery:
    return Delivery(*row)


@dataclass(slots=True)
class NewDelivery:
    sid: str
    account_sid: str
    conversation_sid: str | None
    lane: str
    event_type: str
    url: str
    method: str
    params: str
    token: str
    now: float
    date: str


_LANE_UPSERT = (
    "INSERT INTO webhook_lanes (lane, version, has_work, next_at, lease_until) VALUES (?, 1, 1, ?, 0)"
    " ON CONFLICT (lane) DO UPDATE SET version = webhook_lanes.version + 1, has_work = 1,"
    " next_at = CASE WHEN webhook_lanes.has_work = 1 THEN webhook_lanes.next_at ELSE excluded.next_at END"
)


async def enqueue(tx: Tx, d: NewDelivery, *, read_back: bool = False) -> None:
    """Lock the lane (creating it), then insert: see the module docstring for why in this order.
    Both through `Tx.at_commit` (on SQLite they join the group commit's batch end) unless the
    caller reads the row back in this transaction (`read_back`, a replay)."""
    write = tx.run if read_back else tx.at_commit
    await write(_LANE_UPSERT, d.lane, d.now)
    await _insert(write, d, PENDING, None)


async def enqueue_done(tx: Tx, d: NewDelivery, status: str, error: str) -> None:
    """A delivery recorded as already settled (a target chinwag does not deliver to)."""
    await _insert(tx.at_commit, d, status, error)


async def _insert(write: Callable[..., Awaitable[object]], d: NewDelivery, status: str, error: str | None) -> None:
    await write(
        "INSERT INTO webhook_deliveries (sid, account_sid, conversation_sid, lane, event_type, url, method, params,"
        " token, status, attempts, next_at, created_at, error, date_created, date_updated)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
        d.sid,
        d.account_sid,
        d.conversation_sid,
        d.lane,
        d.event_type,
        d.url,
        d.method,
        d.params,
        d.token,
        status,
        d.now,
        d.now,
        error,
        d.date,
        d.date,
    )


async def notify(tx: Tx) -> None:
    """PostgreSQL: wake every dispatcher listening when this transaction commits (one per
    transaction: PostgreSQL folds repeats of the same notification)."""
    if tx.engine == "postgresql":
        await tx.one("SELECT pg_notify(?, '')", NOTIFY_CHANNEL)


async def any_due(tx: Tx, now: float) -> bool:
    """A read-only look first, so an idle dispatcher opens no write transaction."""
    row = await tx.values(
        "SELECT 1 FROM webhook_lanes WHERE has_work = 1 AND next_at <= ? AND lease_until <= ? LIMIT 1", now, now
    )
    return bool(row)


async def claim_lanes(tx: Tx, now: float, lease_until: float, limit: int) -> list[tuple[str, int]]:
    """Lanes with work due and no live lease, leased to the caller until `lease_until`.
    PostgreSQL: rows another dispatcher (or a writer) holds are skipped, not waited for."""
    lock = " FOR UPDATE SKIP LOCKED" if tx.engine == "postgresql" else ""
    rows = await tx.values(
        "SELECT lane, version FROM webhook_lanes WHERE has_work = 1 AND next_at <= ? AND lease_until <= ?"
        f" ORDER BY next_at LIMIT ?{lock}",
        now,
        now,
        limit,
    )
    lanes = [(str(r[0]), int(r[1])) for r in rows]
    if lanes:
        marks = ", ".join("?" for _ in lanes)
        await tx.run(
            f"UPDATE webhook_lanes SET lease_until = ? WHERE lane IN ({marks})",
            lease_until,
            *(name for name, _ in lanes),
        )
    return lanes


async def lane_heads(tx: Tx, lanes: list[str], limit: int) -> dict[str, list[Delivery]]:
    """Each lane's first `limit` pending deliveries in id order, in one statement."""
    marks = ", ".join("?" for _ in lanes)
    rows = await tx.values(
        f"SELECT {COLUMNS} FROM (SELECT {COLUMNS}, ROW_NUMBER() OVER (PARTITION BY lane ORDER BY id) AS n"
        f" FROM webhook_deliveries WHERE lane IN ({marks}) AND status = 'pending') AS head"
        " WHERE n <= ? ORDER BY id",
        *lanes,
        limit,
    )
    heads: dict[str, list[Delivery]] = {}
    for r in rows:
        d = from_row(r)
        heads.setdefault(d.lane, []).append(d)
    return heads


@dataclass(slots=True)
class Outcome:
    id: int
    status: str
    attempts: int
    next_at: float
    response_status: int | None
    response_body: str | None
    error: str | None
    date: str


async def record(tx: Tx, outcomes: list[Outcome]) -> None:
    for o in outcomes:
        await tx.run(
            "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_at = ?, response_status = ?,"
            " response_body = ?, error = ?, date_updated = ? WHERE id = ?",
            o.status,
            o.attempts,
            o.next_at,
            o.response_status,
            o.response_body,
            o.error,
            o.date,
            o.id,
        )


async def release_lane(tx: Tx, lane: str, version: int, drained: bool, next_at: float) -> None:
    """Give the lane back. Drained: it has no work unless a writer added some since the claim
    (`version` moved; on PostgreSQL this waits for a writer holding the row and re-checks)."""
    if drained and await tx.run(
        "UPDATE webhook_lanes SET has_work = 0, lease_until = 0 WHERE lane = ? AND version = ?", lane, version
    ):
        return
    await tx.run("UPDATE webhook_lanes SET lease_until = 0, next_at = ? WHERE lane = ?", next_at, lane)


async def prune(tx: Tx, delivered_before: float, failed_before: float) -> int:
    done = await tx.run(
        "DELETE FROM webhook_deliveries WHERE status = 'delivered' AND created_at < ?", delivered_before
    )
    return done + await tx.run(
        "DELETE FROM webhook_deliveries WHERE status = 'failed' AND created_at < ?", failed_before
    )


async def get(tx: Tx, account_sid: str, sid: str) -> Delivery | None:
    row = await tx.values(
        f"SELECT {COLUMNS} FROM webhook_deliveries WHERE sid = ? AND account_sid = ?", sid, account_sid
    )
    return from_row(row[0]) if row else None


@dataclass(frozen=True, slots=True)
class Filters:
    event_type: str | None = None
    status: str | None = None
    conversation_sid: str | None = None


def where(account_sid: str, f: Filters) -> tuple[str, tuple[Any, ...]]:
    clauses, args = ["account_sid = ?"], [account_sid]
    for column, value in (("event_type", f.event_type), ("status", f.status), ("conversation_sid", f.conversation_sid)):
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(value)
    return " AND ".join(clauses), tuple(args)


async def page(tx: Tx, account_sid: str, f: Filters, req: PageRequest) -> Page[Delivery]:
    clause, args = where(account_sid, f)
    return await keyset_page(tx, f"SELECT {COLUMNS} FROM webhook_deliveries", clause, args, req, from_row, row_key=0)


async def count(tx: Tx, account_sid: str, f: Filters) -> int:
    clause, args = where(account_sid, f)
    row = await tx.values(f"SELECT COUNT(*) FROM webhook_deliveries WHERE {clause}", *args)
    return int(row[0][0])
