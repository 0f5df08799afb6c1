"""Participants (MB), their read horizon and maintained unread count, and users' memberships."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from chinwag.core.pagination import PageRequest
from chinwag.domain.models import Conversation, Membership, Page, Participant
from chinwag.storage.db import Row, Tx
from chinwag.storage.dialect import for_update
from chinwag.storage.repos import conversations as conversation_repo
from chinwag.storage.repos.paging import keyset_page

T = TypeVar("T")

FIELDS = (
    "sid",
    "account_sid",
    "chat_service_sid",
    "conversation_sid",
    "user_sid",
    "identity",
    "attributes",
    "role_sid",
    "binding_type",
    "binding_address",
    "binding_proxy_address",
    "binding_projected_address",
    "last_read_message_index",
    "last_read_timestamp",
    "unread_count",
    "notification_level",
    "date_created",
    "date_updated",
)
COLUMNS = "id, " + ", ".join(FIELDS)
_SELECT = f"SELECT {COLUMNS} FROM participants"


def from_row(row: Row) -> Participant:
    # By position: every query here selects COLUMNS, in Participant's field order. A sqlite3.Row looked
    # up by name compares the name with each column in turn (quadratic in the number of columns).
    return Participant(*row)


async def insert(tx: Tx, p: Participant, binding_key: str | None, conversation_id: int) -> Participant:
    """`conversation_id` is the `seq` of the conversation `p.conversation_sid` names (migration 0003)."""
    values: list[Any] = [getattr(p, f) for f in FIELDS]
    marks = ", ".join("?" for _ in range(len(FIELDS) + 2))
    row = await tx.one(
        f"INSERT INTO participants ({', '.join(FIELDS)}, binding_key, conversation_id) VALUES ({marks})"
        f" RETURNING {COLUMNS}",
        *values,
        binding_key,
        conversation_id,
    )
    assert row is not None
    if p.binding_address is not None:
        await conversation_repo.count_binding_participant(tx, p.conversation_sid, 1)
    return from_row(row)


_MUTABLE = (
    "identity",
    "user_sid",
    "attributes",
    "role_sid",
    "binding_proxy_address",
    "binding_projected_address",
    "last_read_timestamp",
    "notification_level",
    "date_created",
    "date_updated",
)


_SETS = ", ".join(f"{f} = ?" for f in _MUTABLE)
_UNDATED = tuple(f for f in _MUTABLE if f != "date_updated")
_UNDATED_SETS = ", ".join(f"{f} = ?" for f in _UNDATED)
# A horizon and the exact unread count below it (see `set_horizon` for why the count is right).
_HORIZON = (
    "last_read_message_index = ?, unread_count = CASE WHEN CAST(? AS BIGINT) IS NULL THEN 0 ELSE (SELECT COUNT(*)"
    " FROM messages WHERE conversation_sid = participants.conversation_sid AND msg_index > ?) END, date_updated = ?"
)


async def update(tx: Tx, p: Participant, *, horizon: tuple[int | None, str] | None = None) -> Participant:
    """Writes the plain fields; `horizon` (index, now), under `set_horizon`'s locks, moves the read
    horizon in the same statement (and dates the row `now`). Nothing else moves the unread count."""
    if horizon is None:
        sql = f"UPDATE participants SET {_SETS} WHERE sid = ? RETURNING {COLUMNS}"
        row = await tx.one(sql, *(getattr(p, f) for f in _MUTABLE), p.sid)
    else:
        index, now = horizon
        sql = f"UPDATE participants SET {_UNDATED_SETS}, {_HORIZON} WHERE sid = ? RETURNING {COLUMNS}"
        row = await tx.one(sql, *(getattr(p, f) for f in _UNDATED), index, index, index, now, p.sid)
    assert row is not None
    return from_row(row)


async def get(tx: Tx, conversation_sid: str, sid: str, *, lock: bool = False) -> Participant | None:
    sql = f"{_SELECT} WHERE sid = ? AND conversation_sid = ?"
    if lock:
        sql += for_update(tx.engine)
    row = await tx.one(sql, sid, conversation_sid)
    return None if row is None else from_row(row)


async def by_identity(tx: Tx, conversation_sid: str, identity: str, *, lock: bool = False) -> Participant | None:
    sql = f"{_SELECT} WHERE conversation_sid = ? AND identity = ?"
    if lock:
        sql += for_update(tx.engine)
    row = await tx.one(sql, conversation_sid, identity)
    return None if row is None else from_row(row)


async def sid_by_identity(tx: Tx, conversation_sid: str, identity: str) -> str | None:
    """The SID of the conversation's participant with this identity (a message's author), if any."""
    row = await tx.one(
        "SELECT sid FROM participants WHERE conversation_sid = ? AND identity = ?", conversation_sid, identity
    )
    return None if row is None else str(row[0])


async def page(tx: Tx, conversation_sid: str, req: PageRequest) -> Page[Participant]:
    return await keyset_page(tx, _SELECT, "conversation_sid = ?", (conversation_sid,), req, from_row)


async def delete(tx: Tx, sid: str) -> None:
    row = await tx.one("DELETE FROM participants WHERE sid = ? RETURNING conversation_sid, binding_address", sid)
    if row is not None and row["binding_address"] is not None:
        await conversation_repo.count_binding_participant(tx, row["conversation_sid"], -1)


async def set_binding_key(tx: Tx, sid: str, key: str | None) -> None:
    await tx.run("UPDATE participants SET binding_key = ? WHERE sid = ?", key, sid)


async def release_bindings(tx: Tx, conversation_sid: str) -> None:
    """A closed conversation frees its address pairs for other conversations."""
    await tx.run("UPDATE participants SET binding_key = NULL WHERE conversation_sid = ?", conversation_sid)


# --- read state -------------------------------------------------------------------------------


async def set_horizon(tx: Tx, p: Participant, index: int | None, now: str) -> Participant:
    """Moves the read horizon and recomputes the unread count exactly.

    The caller holds the conversation's row lock, then the participant's (fetched with lock=True):
    message posts and deletes take the conversation's lock first too, so none is in flight while
    the messages are counted. Locking only the participant is not enough on PostgreSQL: a message
    writer's `UPDATE … WHERE last_read_message_index < ?` judges the row by the version its snapshot
    sees (the old horizon) and skips it without waiting, so a count taken meanwhile would miss or
    keep that message.
    """
    # The count inside the UPDATE (one round trip on PostgreSQL): its snapshot is taken after the
    # locks above were granted, so it sees every message committed before them.
    row = await tx.one(
        f"UPDATE participants SET {_HORIZON} WHERE sid = ? RETURNING {COLUMNS}",
        index,
        index,
        index,
        now,
        p.sid,
    )
    assert row is not None
    return from_row(row)


async def message_added(tx: Tx, conversation_sid: str, index: int) -> None:
    await tx.run(
        "UPDATE participants SET unread_count = unread_count + 1"
        " WHERE conversation_sid = ? AND last_read_message_index < ?",
        conversation_sid,
        index,
    )


async def message_removed(tx: Tx, conversation_sid: str, index: int) -> None:
    await tx.run(
        "UPDATE participants SET unread_count = unread_count - 1"
        " WHERE conversation_sid = ? AND last_read_message_index < ?",
        conversation_sid,
        index,
    )


# --- memberships (UserConversations, ParticipantConversations) --------------------------------

_P_COLS = ", ".join(f"p.{c} AS p_{c}" for c in ("id", *FIELDS))
_C_COLS = ", ".join(f"c.{c} AS c_{c}" for c in ("id", *conversation_repo.FIELDS))
# Joined on the integer key (migration 0003): on SQLite `c.id` is the rowid, one b-tree descent per
# row, where `c.sid` went through its unique index first and then the rowid (two).
_FROM = "FROM participants p JOIN conversations c ON c.id = p.conversation_id"
_JOIN = f"SELECT {_P_COLS}, {_C_COLS} {_FROM}"


_SPLIT = 1 + len(FIELDS)


def _membership(row: Row) -> Membership:
    # By position, as `from_row`: the participant's columns, then the conversation's (a page of 50
    # looked up by name cost ~1.5 ms of name comparisons). The aliases remain for the paging key.
    return Membership(Participant(*row[:_SPLIT]), Conversation(*row[_SPLIT:]))


# What a UserConversation record shows, in this order (`build` gets them as positional arguments).
# Only these: the sqlite3 module costs ~0.13 µs per column value fetched, and the full
# participant + conversation rows (37 columns) doubled the cost of a page of 50.
USER_CONVERSATION_COLUMNS = (
    "p.id",
    "p.sid",
    "p.last_read_message_index",
    "p.unread_count",
    "p.notification_level",
    "c.account_sid",
    "c.chat_service_sid",
    "c.sid",
    "c.friendly_name",
    "c.state",
    "c.date_inactive",
    "c.date_closed",
    "c.attributes",
    "c.date_created",
    "c.date_updated",
    "c.created_by",
    "c.unique_name",
)
_COLUMNS_SHOWN = ", ".join(USER_CONVERSATION_COLUMNS)
_USER_CONVERSATIONS = f"SELECT {_COLUMNS_SHOWN} {_FROM}"


async def user_conversations(tx: Tx, user_sid: str, req: PageRequest, build: Callable[..., T]) -> Page[T]:
    """A user's conversations in the order they joined (decisions.md #9): one index range scan
    over participants(user_sid, id), whatever the size of their history, and one conversation
    lookup per row, by rowid (`conversation_id`). Unread counts are stored (see `set_horizon`),
    never counted here."""
    return await keyset_page(
        tx, _USER_CONVERSATIONS, "p.user_sid = ?", (user_sid,), req, lambda row: build(*row), key="p.id", row_key=0
    )


async def membership(tx: Tx, conversation_sid: str, identity: str, *, lock: bool = False) -> Membership | None:
    sql = f"{_JOIN} WHERE p.conversation_sid = ? AND p.identity = ?"
    if lock:
        sql += for_update(tx.engine, of="p")
    row = await tx.one(sql, conversation_sid, identity)
    return None if row is None else _membership(row)


async def memberships_by_identity(tx: Tx, service_sid: str, identity: str, req: PageRequest) -> Page[Membership]:
    where = "p.chat_service_sid = ? AND p.identity = ?"
    return await keyset_page(tx, _JOIN, where, (service_sid, identity), req, _membership, key="p.id", row_key="p_id")


async def memberships_by_address(
    tx: Tx, account_sid: str, service_sid: str, address: str, req: PageRequest
) -> Page[Membership]:
    return await keyset_page(
        tx,
        _JOIN,
        "p.account_sid = ? AND p.binding_address = ? AND p.chat_service_sid = ?",
        (account_sid, address, service_sid),
        req,
        _membership,
        key="p.id",
        row_key="p_id",
    )


async def by_open_pair(tx: Tx, account_sid: str, key: str) -> tuple[str, str, str] | None:
    """(participant SID, conversation SID, service SID) of the participant holding the address
    pair `key` ("address|proxy") in an open conversation of the account: at most one, by the
    `participants_open_binding_pair` constraint, whose index this reads."""
    row = await tx.one(
        "SELECT sid, conversation_sid, chat_service_sid FROM participants WHERE account_sid = ? AND binding_key = ?",
        account_sid,
        key,
    )
    return None if row is None else (str(row[0]), str(row[1]), str(row[2]))
