"""Webhook configuration rows: account level, service level, conversation-scoped (migration 0006)."""

from __future__ import annotations

import json

from chinwag.core.pagination import PageRequest
from chinwag.domain.models import Page
from chinwag.domain.webhook_models import ConversationWebhook, WebhookConfig
from chinwag.storage.db import Row, Tx
from chinwag.storage.dialect import for_update
from chinwag.storage.repos.paging import keyset_page

_CONFIG = "method, filters, pre_webhook_url, post_webhook_url, target"


def _config(row: Row, account_sid: str, service_sid: str | None) -> WebhookConfig:
    return WebhookConfig(
        account_sid,
        service_sid,
        row["method"],
        tuple(json.loads(row["filters"])),
        row["pre_webhook_url"],
        row["post_webhook_url"],
        row["target"],
    )


async def account_config(tx: Tx, account_sid: str, *, lock: bool = False) -> WebhookConfig | None:
    if lock:  # a row to lock, so concurrent partial updates take turns instead of losing one
        await tx.run("INSERT INTO account_webhook_configs (account_sid) VALUES (?) ON CONFLICT DO NOTHING", account_sid)
    row = await tx.one(
        f"SELECT {_CONFIG} FROM account_webhook_configs WHERE account_sid = ?"
        + (for_update(tx.engine) if lock else ""),
        account_sid,
    )
    return None if row is None else _config(row, account_sid, None)


async def service_config(tx: Tx, account_sid: str, service_sid: str, *, lock: bool = False) -> WebhookConfig | None:
    if lock:
        await tx.run(
            "INSERT INTO service_webhook_configs (chat_service_sid, account_sid) VALUES (?, ?) ON CONFLICT DO NOTHING",
            service_sid,
            account_sid,
        )
    row = await tx.one(
        f"SELECT {_CONFIG} FROM service_webhook_configs WHERE chat_service_sid = ? AND account_sid = ?"
        + (for_update(tx.engine) if lock else ""),
        service_sid,
        account_sid,
    )
    return None if row is None else _config(row, account_sid, service_sid)


async def save_config(tx: Tx, cfg: WebhookConfig) -> None:
    values = (cfg.method, json.dumps(list(cfg.filters)), cfg.pre_webhook_url, cfg.post_webhook_url, cfg.target)
    update = (
        " DO UPDATE SET method = excluded.method, filters = excluded.filters,"
        " pre_webhook_url = excluded.pre_webhook_url, post_webhook_url = excluded.post_webhook_url,"
        " target = excluded.target"
    )
    if cfg.service_sid is None:
        await tx.run(
            f"INSERT INTO account_webhook_configs (account_sid, {_CONFIG}) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (account_sid)" + update,
            cfg.account_sid,
            *values,
        )
    else:
        await tx.run(
            f"INSERT INTO service_webhook_configs (chat_service_sid, account_sid, {_CONFIG})"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chat_service_sid)" + update,
            cfg.service_sid,
            cfg.account_sid,
            *values,
        )


# --- conversation-scoped ------------------------------------------------------------------------

_FIELDS = (
    "sid",
    "account_sid",
    "chat_service_sid",
    "conversation_sid",
    "target",
    "url",
    "method",
    "filters",
    "triggers",
    "flow_sid",
    "replay_after",
    "date_created",
    "date_updated",
)
_COLUMNS = "id, " + ", ".join(_FIELDS)
_SELECT = f"SELECT {_COLUMNS} FROM conversation_webhooks"


def _webhook(row: Row) -> ConversationWebhook:
    return ConversationWebhook(
        row["id"],
        row["sid"],
        row["account_sid"],
        row["chat_service_sid"],
        row["conversation_sid"],
        row["target"],
        row["url"],
        row["method"],
        tuple(json.loads(row["filters"])),
        tuple(json.loads(row["triggers"])),
        row["flow_sid"],
        row["replay_after"],
        row["date_created"],
        row["date_updated"],
    )


def _values(w: ConversationWebhook) -> list[object]:
    return [
        w.sid,
        w.account_sid,
        w.chat_service_sid,
        w.conversation_sid,
        w.target,
        w.url,
        w.method,
        json.dumps(list(w.filters)),
        json.dumps(list(w.triggers)),
        w.flow_sid,
        w.replay_after,
        w.date_created,
        w.date_updated,
    ]


async def insert(tx: Tx, w: ConversationWebhook) -> ConversationWebhook:
    marks = ", ".join("?" for _ in _FIELDS)
    row = await tx.one(
        f"INSERT INTO conversation_webhooks ({', '.join(_FIELDS)}) VALUES ({marks}) RETURNING {_COLUMNS}",
        *_values(w),
    )
    assert row is not None
    return _webhook(row)


async def update(tx: Tx, w: ConversationWebhook) -> ConversationWebhook:
    # Everything but the SIDs (the first four fields) may change.
    sets = ", ".join(f"{f} = ?" for f in _FIELDS[4:])
    row = await tx.one(
        f"UPDATE conversation_webhooks SET {sets} WHERE sid = ? AND conversation_sid = ? RETURNING {_COLUMNS}",
        *_values(w)[4:],
        w.sid,
        w.conversation_sid,
    )
    assert row is not None
    return _webhook(row)


async def get(tx: Tx, conversation_sid: str, sid: str, *, lock: bool = False) -> ConversationWebhook | None:
    sql = f"{_SELECT} WHERE sid = ? AND conversation_sid = ?" + (for_update(tx.engine) if lock else "")
    row = await tx.one(sql, sid, conversation_sid)
    return None if row is None else _webhook(row)


async def count(tx: Tx, conversation_sid: str) -> int:
    row = await tx.one("SELECT COUNT(*) AS n FROM conversation_webhooks WHERE conversation_sid = ?", conversation_sid)
    assert row is not None
    return int(row["n"])


async def page(tx: Tx, conversation_sid: str, req: PageRequest) -> Page[ConversationWebhook]:
    return await keyset_page(tx, _SELECT, "conversation_sid = ?", (conversation_sid,), req, _webhook)


async def delete(tx: Tx, conversation_sid: str, sid: str) -> bool:
    return (
        await tx.run("DELETE FROM conversation_webhooks WHERE sid = ? AND conversation_sid = ?", sid, conversation_sid)
        > 0
    )


# --- resolution (domain/webhook_config.py::targets_for) -----------------------------------------

# One statement for all three levels, so a write transaction pays one round trip whatever is
# configured: each branch is a primary-key probe (the two config tables) or one range of the
# `conversation_webhooks_by_conversation` index, and with nothing configured all three come back
# empty. `level` 0 = service, 1 = account, 2 = conversation. No ORDER BY: on SQLite it made the
# statement build a temporary B-tree every time (about a third of its cost); the few rows are
# sorted here instead.
_TARGETS = (
    "SELECT 0 AS level, 0 AS id, NULL AS sid, method, filters, pre_webhook_url, post_webhook_url AS url,"
    " target, NULL AS triggers, NULL AS flow_sid"
    " FROM service_webhook_configs WHERE chat_service_sid = ? AND account_sid = ?"
    " UNION ALL SELECT 1, 0, NULL, method, filters, pre_webhook_url, post_webhook_url, target, NULL, NULL"
    " FROM account_webhook_configs WHERE account_sid = ?"
    " UNION ALL SELECT 2, id, sid, method, filters, NULL, url, target, triggers, flow_sid"
    " FROM conversation_webhooks WHERE conversation_sid = ? AND account_sid = ?"
)


async def target_rows(tx: Tx, account_sid: str, service_sid: str, conversation_sid: str | None) -> list[Row]:
    """The configuration rows, service first, then account, then the conversation's hooks in creation order."""
    rows = await tx.all(_TARGETS, service_sid, account_sid, account_sid, conversation_sid, account_sid)
    if len(rows) > 1:
        rows.sort(key=lambda r: (r["level"], r["id"]))
    return rows
