"""The few statements the realtime socket's chat commands need beyond the domain's
(chinwag/realtime/aim.py, aim_writes.py, hub.py)."""

from __future__ import annotations

from chinwag.storage.db import Tx


async def conversation_counts(tx: Tx, conversation_sid: str) -> tuple[int, int]:
    """(participants, messages) of a conversation: `getParticipantsCount()`, `getMessagesCount()`."""
    row = await tx.one(
        "SELECT (SELECT COUNT(*) FROM participants WHERE conversation_sid = ?),"
        " (SELECT COUNT(*) FROM messages WHERE conversation_sid = ?)",
        conversation_sid,
        conversation_sid,
    )
    return (int(row[0]), int(row[1])) if row is not None else (0, 0)


async def set_created_by(tx: Tx, conversation_sid: str, identity: str) -> None:
    """A client-made conversation names its creator (docs/decisions.md #129)."""
    await tx.run("UPDATE conversations SET created_by = ? WHERE sid = ?", identity, conversation_sid)


async def notify(tx: Tx, channel: str, payload: str) -> None:
    """PostgreSQL only: a notification every listening process hears once this commits."""
    await tx.one("SELECT pg_notify(?, ?)", channel, payload)
