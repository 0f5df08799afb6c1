"""Media (ME…): uploaded files and their bytes (migration 0012). Bytes are read only by `content`."""

from __future__ import annotations

from collections.abc import Sequence

from chinwag.domain.models import Media
from chinwag.storage.db import Row, Tx

FIELDS = (
    "sid",
    "account_sid",
    "chat_service_sid",
    "conversation_sid",
    "message_sid",
    "author",
    "content_type",
    "filename",
    "category",
    "size",
    "date_created",
    "date_updated",
)
COLUMNS = ", ".join(FIELDS)


def from_row(row: Row) -> Media:
    return Media(
        sid=row["sid"],
        account_sid=row["account_sid"],
        chat_service_sid=row["chat_service_sid"],
        conversation_sid=row["conversation_sid"],
        message_sid=row["message_sid"],
        author=row["author"],
        content_type=row["content_type"],
        filename=row["filename"],
        category=row["category"],
        size=int(row["size"]),
        date_created=row["date_created"],
        date_updated=row["date_updated"],
    )


async def insert(tx: Tx, media: Media, content: bytes) -> Media:
    marks = ", ".join("?" for _ in FIELDS)
    row = await tx.one(
        f"INSERT INTO media ({COLUMNS}, content) VALUES ({marks}, ?) RETURNING {COLUMNS}",
        *(getattr(media, f) for f in FIELDS),
        content,
    )
    assert row is not None
    return from_row(row)


async def get(tx: Tx, account_sid: str, service_sid: str, sid: str) -> Media | None:
    row = await tx.one(
        f"SELECT {COLUMNS} FROM media WHERE sid = ? AND account_sid = ? AND chat_service_sid = ?",
        sid,
        account_sid,
        service_sid,
    )
    return None if row is None else from_row(row)


async def content(tx: Tx, sid: str) -> tuple[Media, bytes, str] | None:
    """(the media, its bytes, its account's auth token: the key of its temporary URLs), by SID alone:
    a temporary URL names no account, and its signature is checked against this row's account."""
    row = await tx.one(
        f"SELECT {', '.join('m.' + f for f in FIELDS)}, m.content, a.auth_token FROM media m"
        " JOIN accounts a ON a.sid = m.account_sid WHERE m.sid = ?",
        sid,
    )
    if row is None:
        return None
    return from_row(row), bytes(row["content"]), str(row["auth_token"])


async def attach(
    tx: Tx, account_sid: str, service_sid: str, sids: Sequence[str], conversation_sid: str, message_sid: str, now: str
) -> list[Media]:
    """Give the not yet attached media among `sids` (of that account and service) to the message;
    returns those it took. A concurrent attach of the same media waits for this one and then finds
    it taken (the `message_sid IS NULL` condition is re-checked under the row lock)."""
    marks = ", ".join("?" for _ in sids)
    rows = await tx.all(
        "UPDATE media SET message_sid = ?, conversation_sid = ?, date_updated = ?"
        f" WHERE account_sid = ? AND chat_service_sid = ? AND sid IN ({marks}) AND message_sid IS NULL"
        f" RETURNING {COLUMNS}",
        message_sid,
        conversation_sid,
        now,
        account_sid,
        service_sid,
        *sids,
    )
    return [from_row(r) for r in rows]


async def existing(tx: Tx, account_sid: str, service_sid: str, sids: Sequence[str]) -> set[str]:
    marks = ", ".join("?" for _ in sids)
    rows = await tx.all(
        f"SELECT sid FROM media WHERE account_sid = ? AND chat_service_sid = ? AND sid IN ({marks})",
        account_sid,
        service_sid,
        *sids,
    )
    return {str(r["sid"]) for r in rows}
