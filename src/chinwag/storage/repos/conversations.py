"""Conversations (CH): looked up by SID or unique_name; the message-index counter lives here."""

from __future__ import annotations

from typing import Any

from chinwag.core.pagination import PageRequest
from chinwag.core.sids import SidPrefix, looks_like
from chinwag.domain.models import Conversation, Page
from chinwag.storage.db import Row, Tx
from chinwag.storage.dialect import for_update
from chinwag.storage.repos.paging import keyset_page

FIELDS = (
    "sid",
    "account_sid",
    "chat_service_sid",
    "messaging_service_sid",
    "friendly_name",
    "unique_name",
    "attributes",
    "state",
    "created_by",
    "bindings",
    "inactive_timer",
    "closed_timer",
    "date_inactive",
    "date_closed",
    "date_created",
    "date_updated",
)
COLUMNS = "id, " + ", ".join(FIELDS)
_SELECT = f"SELECT {COLUMNS} FROM conversations"
_BY_SID = f"{_SELECT} WHERE sid = ? AND chat_service_sid = ?"
_BY_UNIQUE_NAME = f"{_SELECT} WHERE unique_name = ? AND chat_service_sid = ?"


def from_row(row: Row, prefix: str = "") -> Conversation:
    return Conversation(row[prefix + "id"], *(row[prefix + f] for f in FIELDS))


def _values(c: Conversation) -> list[Any]:
    return [getattr(c, f) for f in FIELDS]


async def insert(tx: Tx, c: Conversation) -> Conversation:
    marks = ", ".join("?" for _ in FIELDS)
    row = await tx.one(
        f"INSERT INTO conversations ({', '.join(FIELDS)}) VALUES ({marks}) RETURNING {COLUMNS}", *_values(c)
    )
    assert row is not None
    return from_row(row)


async def update(tx: Tx, c: Conversation) -> Conversation:
    sets = ", ".join(f"{f} = ?" for f in FIELDS[3:])
    row = await tx.one(f"UPDATE conversations SET {sets} WHERE sid = ? RETURNING {COLUMNS}", *_values(c)[3:], c.sid)
    assert row is not None
    return from_row(row)


async def find(tx: Tx, service_sid: str, sid_or_unique_name: str, *, lock: bool = False) -> Conversation | None:
    """By SID when the value has a Conversation SID's shape (unique names may not), else by unique_name.

    `lock` takes the row lock first (PostgreSQL; SQLite's writer lock already serialises writes), so
    a writer sees the state other writers committed.
    """
    sql = _BY_SID if looks_like(sid_or_unique_name, SidPrefix.CONVERSATION) else _BY_UNIQUE_NAME
    if lock:
        sql += for_update(tx.engine)
    row = await tx.one(sql, sid_or_unique_name, service_sid)
    return None if row is None else from_row(row)


# The URL's service resolved in the conversation's own query (one round trip less on PostgreSQL):
# the short form names the account's default service; the long form a service of the account,
# which the conversation's own account_sid column vouches for.
_IN_DEFAULT = " AND chat_service_sid = (SELECT default_chat_service_sid FROM account_configs WHERE account_sid = ?)"
_IN_SERVICE = " AND chat_service_sid = ? AND account_sid = ?"


async def find_scoped(
    tx: Tx, account_sid: str, service_sid: str | None, sid_or_unique_name: str, *, lock: bool = False
) -> Conversation | None:
    """`find` in the account's default service (`service_sid` None) or in `service_sid` if it is one
    of the account's, in one query."""
    by_sid = looks_like(sid_or_unique_name, SidPrefix.CONVERSATION)
    sql = f"{_SELECT} WHERE {'sid' if by_sid else 'unique_name'} = ?"
    if service_sid is None:
        sql += _IN_DEFAULT
        args: tuple[str, ...] = (sid_or_unique_name, account_sid)
    else:
        sql += _IN_SERVICE
        args = (sid_or_unique_name, service_sid, account_sid)
    if lock:
        sql += for_update(tx.engine)
    row = await tx.one(sql, *args)
    return None if row is None else from_row(row)


async def page(
    tx: Tx, service_sid: str, req: PageRequest, state: str | None, start: str | None, end: str | None
) -> Page[Conversation]:
    where, args = "chat_service_sid = ?", [service_sid]
    if state is not None:
        where += " AND state = ?"
        args.append(state)
    if start is not None:
        where += " AND date_created >= ?"
        args.append(start)
    if end is not None:
        where += " AND date_created <= ?"
        args.append(end)
    # Date filters list the newest-created first, as Twilio documents.
    descending = start is not None or end is not None
    return await keyset_page(tx, _SELECT, where, tuple(args), req, from_row, descending=descending)


async def delete(tx: Tx, sid: str) -> None:
    await tx.run("DELETE FROM conversations WHERE sid = ?", sid)


async def allocate_index(tx: Tx, sid: str) -> int:
    """The next message index: the UPDATE takes the conversation's row lock, so concurrent posts
    queue here and never share an index (and the messages table refuses a duplicate anyway)."""
    return (await allocate(tx, sid))[0]


async def allocate(tx: Tx, sid: str) -> tuple[int, int]:
    """(the next message index, how many messaging-binding participants the conversation has).

    The count comes back from the same statement (migration 0011), so a post to a chat-only
    conversation learns it has no delivery receipts to write without another query."""
    row = await tx.one(
        "UPDATE conversations SET next_message_index = next_message_index + 1 WHERE sid = ?"
        " RETURNING next_message_index - 1 AS allocated, binding_participants",
        sid,
    )
    assert row is not None
    return int(row["allocated"]), int(row["binding_participants"])


async def count_binding_participant(tx: Tx, sid: str, change: int) -> None:
    """Keeps `binding_participants` in step as a participant with a messaging binding comes or goes."""
    await tx.run("UPDATE conversations SET binding_participants = binding_participants + ? WHERE sid = ?", change, sid)


# Emulator mode (docs/decisions.md #80): an account whose clock was moved is swept on its own clock
# (`account_sid`), and the server-wide sweep leaves it out (`skip_clocked`).
_ONE_ACCOUNT = " AND account_sid = ?"
_NOT_CLOCKED = " AND account_sid NOT IN (SELECT account_sid FROM emulator_clocks)"


async def _due(
    tx: Tx, column: str, now: str, limit: int, account_sid: str | None, skip_clocked: bool, wait: bool = False
) -> list[Conversation]:
    # Claimed, not waited for: on PostgreSQL a row another sweeper (another process, another host)
    # or a writer holds is skipped (`SKIP LOCKED`), so each transition happens in exactly one
    # process and no sweeper queues behind another; a skipped row still due is taken by the next
    # sweep (docs/decisions.md #159). A row taken is re-checked under its lock: a message that
    # pushed the deadline meanwhile takes it out. SQLite: the writer lock serialises sweepers and
    # the deadline is re-read.
    where, args = f"{column} <= ?", [now]
    if account_sid is not None:
        where += _ONE_ACCOUNT
        args.append(account_sid)
    if skip_clocked:
        where += _NOT_CLOCKED
    # `wait` (the emulator's POST Clock, which promises the account is swept when it answers):
    # wait for a row another sweeper holds instead of skipping it; under the lock PostgreSQL
    # re-checks the deadline, so a row that sweeper moved is left out.
    claim = (" FOR UPDATE" if wait else " FOR UPDATE SKIP LOCKED") if tx.engine == "postgresql" else ""
    sql = f"{_SELECT} WHERE {where} ORDER BY {column} LIMIT ?{claim}"
    rows = await tx.all(sql, *args, limit)
    return [from_row(r) for r in rows]


async def due_inactive(
    tx: Tx, now: str, limit: int, account_sid: str | None = None, skip_clocked: bool = False, wait: bool = False
) -> list[Conversation]:
    return await _due(tx, "date_inactive", now, limit, account_sid, skip_clocked, wait)


async def due_closed(
    tx: Tx, now: str, limit: int, account_sid: str | None = None, skip_clocked: bool = False, wait: bool = False
) -> list[Conversation]:
    return await _due(tx, "date_closed", now, limit, account_sid, skip_clocked, wait)
