"""Delivery receipts (DY): one per message and messaging-binding participant (migration 0011)."""

from __future__ import annotations

from typing import Any

from chinwag.core.pagination import PageRequest
from chinwag.domain.models import DeliveryReceipt, Page
from chinwag.storage.db import Row, Tx
from chinwag.storage.dialect import for_update
from chinwag.storage.repos.paging import keyset_page

FIELDS = (
    "sid",
    "account_sid",
    "chat_service_sid",
    "conversation_sid",
    "message_sid",
    "participant_sid",
    "channel_message_sid",
    "status",
    "error_code",
    "channel",
    "to_address",
    "from_address",
    "date_created",
    "date_updated",
)
COLUMNS = "id, " + ", ".join(FIELDS)
_SELECT = f"SELECT {COLUMNS} FROM delivery_receipts"


def from_row(row: Row) -> DeliveryReceipt:
    return DeliveryReceipt(*row)  # by position: every query here selects COLUMNS, in field order


async def binding_recipients(tx: Tx, conversation_sid: str) -> list[Row]:
    """(sid, binding_type, binding_address, proxy or projected address) of the conversation's
    participants with a messaging binding, in the order they joined."""
    return await tx.values(
        "SELECT sid, binding_type, binding_address, COALESCE(binding_proxy_address, binding_projected_address)"
        " FROM participants WHERE conversation_sid = ? AND binding_address IS NOT NULL ORDER BY id",
        conversation_sid,
    )


async def insert_many(tx: Tx, receipts: list[DeliveryReceipt]) -> None:
    """All of a message's receipts in one statement."""
    if not receipts:
        return
    row_marks = "(" + ", ".join("?" for _ in FIELDS) + ")"
    values: list[Any] = []
    for r in receipts:
        values.extend(getattr(r, f) for f in FIELDS)
    await tx.run(
        f"INSERT INTO delivery_receipts ({', '.join(FIELDS)}) VALUES {', '.join(row_marks for _ in receipts)}",
        *values,
    )


async def get(tx: Tx, message_sid: str, sid: str) -> DeliveryReceipt | None:
    row = await tx.one(f"{_SELECT} WHERE sid = ? AND message_sid = ?", sid, message_sid)
    return None if row is None else from_row(row)


async def by_participant(tx: Tx, message_sid: str, participant_sid: str) -> DeliveryReceipt | None:
    row = await tx.one(f"{_SELECT} WHERE message_sid = ? AND participant_sid = ?", message_sid, participant_sid)
    return None if row is None else from_row(row)


async def page(tx: Tx, message_sid: str, req: PageRequest) -> Page[DeliveryReceipt]:
    return await keyset_page(tx, _SELECT, "message_sid = ?", (message_sid,), req, from_row)


async def set_status(tx: Tx, sid: str, status: str, error_code: int, now: str) -> DeliveryReceipt:
    row = await tx.one(
        f"UPDATE delivery_receipts SET status = ?, error_code = ?, date_updated = ? WHERE sid = ? RETURNING {COLUMNS}",
        status,
        error_code,
        now,
        sid,
    )
    assert row is not None
    return from_row(row)


async def statuses(tx: Tx, message_sid: str) -> list[str]:
    rows = await tx.values("SELECT status FROM delivery_receipts WHERE message_sid = ?", message_sid)
    return [str(r[0]) for r in rows]


async def lock_message(tx: Tx, account_sid: str, message_sid: str) -> bool:
    """Takes the message's row lock (PostgreSQL; SQLite writers are serial): receipt moves of one
    message then take turns, so each recomputes the summary from the others' committed statuses."""
    sql = "SELECT 1 FROM messages WHERE sid = ? AND account_sid = ?" + for_update(tx.engine)
    row = await tx.one(sql, message_sid, account_sid)
    return row is not None


async def set_delivery(tx: Tx, message_sid: str, delivery: str) -> None:
    await tx.run("UPDATE messages SET delivery = ? WHERE sid = ?", delivery, message_sid)


async def outbound_page(tx: Tx, account_sid: str, to_address: str, req: PageRequest) -> Page[Row]:
    """What `to_address` was sent, newest first: each receipt with its message's body."""
    select = (
        "SELECT r.id, r.to_address, r.from_address, m.body, r.channel, r.conversation_sid, r.message_sid,"
        " r.date_created FROM delivery_receipts r JOIN messages m ON m.sid = r.message_sid"
    )
    return await keyset_page(
        tx,
        select,
        "r.account_sid = ? AND r.to_address = ?",
        (account_sid, to_address),
        req,
        lambda row: row,
        key="r.id",
        row_key=0,
        descending=True,
    )
