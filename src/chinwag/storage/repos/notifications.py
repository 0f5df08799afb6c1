"""A service's push-notification settings: one JSON document per service (migration 0011)."""

from __future__ import annotations

from chinwag.storage.db import Tx


async def get(tx: Tx, service_sid: str) -> str | None:
    row = await tx.one("SELECT settings FROM service_notifications WHERE chat_service_sid = ?", service_sid)
    return None if row is None else str(row[0])


async def save(tx: Tx, account_sid: str, service_sid: str, settings: str) -> None:
    await tx.run(
        "INSERT INTO service_notifications (chat_service_sid, account_sid, settings) VALUES (?, ?, ?)"
        " ON CONFLICT (chat_service_sid) DO UPDATE SET settings = excluded.settings",
        service_sid,
        account_sid,
        settings,
    )
