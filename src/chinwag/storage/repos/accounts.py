"""Accounts (the credentials) and the account-level Configuration row."""

from __future__ import annotations

from chinwag.domain.models import AccountConfig
from chinwag.storage.db import Tx


async def auth_token(tx: Tx, account_sid: str) -> str | None:
    row = await tx.one("SELECT auth_token FROM accounts WHERE sid = ?", account_sid)
    return None if row is None else str(row["auth_token"])


async def auth_tokens(tx: Tx, account_sids: set[str]) -> dict[str, str]:
    """The auth tokens of those accounts that exist (webhook signing)."""
    marks = ", ".join("?" for _ in account_sids)
    rows = await tx.values(f"SELECT sid, auth_token FROM accounts WHERE sid IN ({marks})", *account_sids)
    return {str(r[0]): str(r[1]) for r in rows}


async def insert(tx: Tx, sid: str, token: str, friendly_name: str | None, now: str) -> None:
    await tx.run(
        "INSERT INTO accounts (sid, auth_token, friendly_name, date_created) VALUES (?, ?, ?, ?)",
        sid,
        token,
        friendly_name,
        now,
    )
    await insert_config(tx, sid)


async def insert_config(tx: Tx, sid: str) -> None:
    await tx.run("INSERT INTO account_configs (account_sid) VALUES (?)", sid)


async def exists(tx: Tx, sid: str) -> bool:
    return await tx.one("SELECT 1 FROM accounts WHERE sid = ?", sid) is not None


async def set_token(tx: Tx, sid: str, token: str) -> None:
    await tx.run("UPDATE accounts SET auth_token = ? WHERE sid = ?", token, sid)


async def list_all(tx: Tx) -> list[tuple[str, str, str]]:
    rows = await tx.all("SELECT sid, auth_token, date_created FROM accounts ORDER BY date_created, sid")
    return [(r["sid"], r["auth_token"], r["date_created"]) for r in rows]


_CONFIG_COLUMNS = (
    "account_sid, default_chat_service_sid, default_messaging_service_sid, default_inactive_timer, default_closed_timer"
)


async def config(tx: Tx, account_sid: str) -> AccountConfig | None:
    row = await tx.one(f"SELECT {_CONFIG_COLUMNS} FROM account_configs WHERE account_sid = ?", account_sid)
    if row is None:
        return None
    return AccountConfig(
        row["account_sid"],
        row["default_chat_service_sid"],
        row["default_messaging_service_sid"],
        row["default_inactive_timer"],
        row["default_closed_timer"],
    )


async def default_service_sid(tx: Tx, account_sid: str) -> str | None:
    row = await tx.one("SELECT default_chat_service_sid FROM account_configs WHERE account_sid = ?", account_sid)
    return None if row is None else row["default_chat_service_sid"]


async def lock_config(tx: Tx, account_sid: str) -> None:
    """Hold the account's configuration row until the transaction ends (a no-op write, so it works
    on both engines): changes of the default service and service deletes then take turns."""
    await tx.run(
        "UPDATE account_configs SET default_chat_service_sid = default_chat_service_sid WHERE account_sid = ?",
        account_sid,
    )


async def save_config(tx: Tx, cfg: AccountConfig) -> None:
    await tx.run(
        "UPDATE account_configs SET default_chat_service_sid = ?, default_messaging_service_sid = ?,"
        " default_inactive_timer = ?, default_closed_timer = ? WHERE account_sid = ?",
        cfg.default_chat_service_sid,
        cfg.default_messaging_service_sid,
        cfg.default_inactive_timer,
        cfg.default_closed_timer,
        cfg.account_sid,
    )
