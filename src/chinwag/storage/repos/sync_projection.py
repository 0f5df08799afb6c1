"""Reads of chinwag's tables for the Sync projection (domain/sync_events.py, realtime/sync_reads.py),
and the row locks that keep one Sync object's event ids in commit order on PostgreSQL."""

from __future__ import annotations

from typing import Any

from chinwag.domain.models import Message, Participant, User
from chinwag.storage.db import Tx
from chinwag.storage.repos import messages as message_repo
from chinwag.storage.repos import participants as participant_repo
from chinwag.storage.repos import users as user_repo


async def newest_message(tx: Tx, conversation_sid: str) -> tuple[int, str] | None:
    """(index, date_created) of the conversation's newest message (the unique index's last entry)."""
    rows = await tx.values(
        "SELECT msg_index, date_created FROM messages WHERE conversation_sid = ? ORDER BY msg_index DESC LIMIT 1",
        conversation_sid,
    )
    return (int(rows[0][0]), str(rows[0][1])) if rows else None


# The first key of the two-key advisory locks below: a namespace of chinwag's own (the migrations'
# lock is a one-key lock, which never meets a two-key one).
USER_LOCK_CLASS = 7301


def user_key(service_sid: str, identity: str) -> str:
    """A user's lock key: known before the user row exists (a join creates it), never reused."""
    return f"{service_sid}/{identity}"


async def hold_users(tx: Tx, keys: list[str]) -> None:
    """PostgreSQL: hold each user's realtime lock until commit, before writing events of their
    `.convs`/`.info` maps (docs/decisions.md #139); SQLite's single writer already orders them.

    A transaction-level advisory lock, not the users row: a participant insert holds KEY SHARE on
    its user's row (the foreign key), so two joins of one user that each then locked the row
    deadlocked, and so did a join racing the user's deletion (tests/test_concurrency.py). Keys are
    taken in sorted order, in one statement (`unnest` yields the array in order)."""
    if tx.engine != "postgresql" or not keys:
        return
    await tx.values(
        "SELECT pg_advisory_xact_lock(?, hashtext(k)) FROM unnest(?::text[]) AS k",
        USER_LOCK_CLASS,
        sorted(set(keys)),
    )


async def lock_conversations(tx: Tx, conversation_sids: list[str]) -> None:
    if tx.engine != "postgresql" or not conversation_sids:
        return
    marks = ", ".join("?" for _ in conversation_sids)
    sql = f"SELECT id FROM conversations WHERE sid IN ({marks}) ORDER BY id FOR NO KEY UPDATE"
    await tx.values(sql, *conversation_sids)


async def members(tx: Tx, conversation_sid: str) -> list[tuple[str, str]]:
    """(user SID, identity) of the conversation's chat participants."""
    rows = await tx.values(
        "SELECT user_sid, identity FROM participants WHERE conversation_sid = ? AND user_sid IS NOT NULL ORDER BY id",
        conversation_sid,
    )
    return [(str(r[0]), str(r[1])) for r in rows]


async def participants_of_user(tx: Tx, user_sid: str) -> list[Participant]:
    rows = await tx.values(f"{participant_repo._SELECT} WHERE user_sid = ? ORDER BY id", user_sid)
    return [participant_repo.from_row(r) for r in rows]


async def is_member(tx: Tx, conversation_sid: str, user_sid: str) -> bool:
    rows = await tx.values(
        "SELECT 1 FROM participants WHERE conversation_sid = ? AND user_sid = ? LIMIT 1", conversation_sid, user_sid
    )
    return bool(rows)


async def _key_range(
    tx: Tx, select: str, owner: tuple[str, str], key: str, start: object, descending: bool, limit: int
) -> list[Any]:
    """Rows of `select` whose `owner` column has that value, by `key` from `start` (inclusive) in
    the given order: how every Sync list or map is paged."""
    column, value = owner
    where, args = f"{column} = ?", list[object]([value])
    if start is not None:
        where += f" AND {key} <= ?" if descending else f" AND {key} >= ?"
        args.append(start)
    order = "DESC" if descending else "ASC"
    return await tx.values(f"{select} WHERE {where} ORDER BY {key} {order} LIMIT ?", *args, limit)


async def messages_page(
    tx: Tx, conversation_sid: str, start: int | None, descending: bool, limit: int
) -> list[Message]:
    """Up to `limit` messages from index `start` (inclusive) in the given order."""
    select = f"SELECT {message_repo.COLUMNS} FROM messages"
    rows = await _key_range(tx, select, ("conversation_sid", conversation_sid), "msg_index", start, descending, limit)
    return [message_repo.from_row(r) for r in rows]


async def roster_page(
    tx: Tx, conversation_sid: str, start: str | None, descending: bool, limit: int
) -> list[Participant]:
    """Participants by SID (the roster's keys), from `start` (inclusive)."""
    select = participant_repo._SELECT
    rows = await _key_range(tx, select, ("conversation_sid", conversation_sid), "sid", start, descending, limit)
    return [participant_repo.from_row(r) for r in rows]


async def convs_page(tx: Tx, user_sid: str, start: str | None, descending: bool, limit: int) -> list[Participant]:
    """The user's chat participants by conversation SID (the `.convs` keys), from `start` (inclusive)."""
    select = participant_repo._SELECT
    rows = await _key_range(tx, select, ("user_sid", user_sid), "conversation_sid", start, descending, limit)
    return [participant_repo.from_row(r) for r in rows]


async def latest_item(tx: Tx, account_sid: str, object_sid: str, item_key: str) -> str | None:
    """The data of the newest event of one map item (reachability lives only in the log)."""
    rows = await tx.values(
        "SELECT data, event_type FROM realtime_events WHERE object_sid = ? AND account_sid = ? AND item_key = ?"
        " ORDER BY id DESC LIMIT 1",
        object_sid,
        account_sid,
        item_key,
    )
    if not rows or rows[0][1] == "map_item_removed":
        return None
    return None if rows[0][0] is None else str(rows[0][0])


async def user_by_identity(tx: Tx, account_sid: str, service_sid: str, identity: str) -> User | None:
    row = await tx.one(f"{user_repo._BY_IDENTITY} AND account_sid = ?", identity, service_sid, account_sid)
    return None if row is None else user_repo._user(row)


async def user_by_sid(tx: Tx, account_sid: str, service_sid: str, sid: str) -> User | None:
    row = await tx.one(f"{user_repo._BY_SID} AND account_sid = ?", sid, service_sid, account_sid)
    return None if row is None else user_repo._user(row)
