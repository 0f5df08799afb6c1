"""Messages (IM), ordered by their per-conversation index."""

from __future__ import annotations

from chinwag.core.pagination import PageRequest
from chinwag.domain.models import Message, Page
from chinwag.storage.db import Row, Tx
from chinwag.storage.repos.paging import keyset_page

FIELDS = (
    "sid",
    "account_sid",
    "chat_service_sid",
    "conversation_sid",
    "msg_index",
    "author",
    "body",
    "attributes",
    "participant_sid",
    "content_sid",
    "subject",
    "date_created",
    "date_updated",
    "delivery",
    "media",
)
COLUMNS = "id, " + ", ".join(FIELDS)
_SELECT = f"SELECT {COLUMNS} FROM messages"


def from_row(row: Row) -> Message:
    return Message(*row)  # by position: every query here selects COLUMNS, in Message's field order


def _values(m: Message) -> list[object]:
    return [m.sid, m.account_sid, m.chat_service_sid, m.conversation_sid, m.index, *(getattr(m, f) for f in FIELDS[5:])]


async def insert(tx: Tx, m: Message) -> Message:
    marks = ", ".join("?" for _ in FIELDS)
    row = await tx.one(f"INSERT INTO messages ({', '.join(FIELDS)}) VALUES ({marks}) RETURNING {COLUMNS}", *_values(m))
    assert row is not None
    return from_row(row)


async def update(tx: Tx, m: Message) -> Message:
    row = await tx.one(
        "UPDATE messages SET author = ?, participant_sid = ?, body = ?, attributes = ?, subject = ?,"
        f" date_created = ?, date_updated = ? WHERE sid = ? RETURNING {COLUMNS}",
        m.author,
        m.participant_sid,
        m.body,
        m.attributes,
        m.subject,
        m.date_created,
        m.date_updated,
        m.sid,
    )
    assert row is not None
    return from_row(row)


async def get(tx: Tx, conversation_sid: str, sid_or_index: str) -> Message | None:
    """By SID, or by index (Twilio's SDKs address messages by index too)."""
    if sid_or_index.isascii() and sid_or_index.isdigit() and len(sid_or_index) <= 18:  # a 64-bit index
        row = await tx.one(
            f"{_SELECT} WHERE conversation_sid = ? AND msg_index = ?", conversation_sid, int(sid_or_index)
        )
    else:
        row = await tx.one(f"{_SELECT} WHERE sid = ? AND conversation_sid = ?", sid_or_index, conversation_sid)
    return None if row is None else from_row(row)


async def page(tx: Tx, conversation_sid: str, req: PageRequest, descending: bool) -> Page[Message]:
    return await keyset_page(
        tx, _SELECT, "conversation_sid = ?", (conversation_sid,), req, from_row, key="msg_index", descending=descending
    )


async def set_media(tx: Tx, sid: str, media: str | None) -> Message:
    """The message's `media` list (JSON text), written once its media were attached."""
    row = await tx.one(f"UPDATE messages SET media = ? WHERE sid = ? RETURNING {COLUMNS}", media, sid)
    assert row is not None
    return from_row(row)


async def delete(tx: Tx, sid: str) -> None:
    await tx.run("DELETE FROM messages WHERE sid = ?", sid)
