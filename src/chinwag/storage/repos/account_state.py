"""Everything an account owns, table by table: the one list that Reset and Snapshot walk.

`ACCOUNT_TABLES` names each account-owned table once, parents before children, with how to find
the account's rows and which columns make up its state. `POST /_chinwag/v1/Reset` deletes over it
(children first), `GET /_chinwag/v1/Snapshot` exports over it, `PUT` imports over it. A new table
that holds account data (webhook configuration, say) is added HERE, with its columns, and Reset
and Snapshot cover it with no other change (docs/ARCHITECTURE.md, "Emulator mode").

Columns a snapshot leaves out are derived on import: `id` (insertion order is the document's order,
so lists page the same), `account_sid` (the importing account), `participants.conversation_id`,
`participants.unread_count`, `users.record_json` / `record_version` and `media.size` (see
emulator/snapshot.py). Media bytes travel as base64 text (kind "bytes", docs/decisions.md #148).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from chinwag.storage.db import Tx

# "bytes": a binary column, base64 text in a document (media content, docs/decisions.md #148).
Kind = Literal["text", "text?", "int", "int?", "bool", "bool?", "bytes"]


@dataclass(frozen=True)
class Table:
    name: str  # the SQL table
    key: str  # its key in a snapshot document
    owned: str  # WHERE clause selecting the account's rows; one `?` for the account SID
    columns: Mapping[str, Kind]  # the columns a snapshot carries
    sid_prefix: str | None = None  # the shape of its `sid` column, checked on import
    # column → document key of the table it points into (checked on import: same document only)
    refs: Mapping[str, str] = field(default_factory=dict)
    has_account_column: bool = True
    order: str = "id"
    single: bool = False  # exactly one row per account: a JSON object in the document, not a list


_BY_ACCOUNT = "account_sid = ?"
_WEBHOOK_CONFIG: dict[str, Kind] = {
    "method": "text",
    "filters": "text",
    "pre_webhook_url": "text?",
    "post_webhook_url": "text?",
    "target": "text",
}

ACCOUNT_TABLES: list[Table] = [
    Table(
        "services",
        "services",
        _BY_ACCOUNT,
        {"sid": "text", "friendly_name": "text", "date_created": "text", "date_updated": "text"},
        sid_prefix="IS",
    ),
    Table(
        "service_configs",
        "service_configurations",
        "chat_service_sid IN (SELECT sid FROM services WHERE account_sid = ?)",
        {
            "chat_service_sid": "text",
            "default_conversation_creator_role_sid": "text?",
            "default_conversation_role_sid": "text?",
            "default_chat_service_role_sid": "text?",
            "reachability_enabled": "bool",
        },
        refs={
            "chat_service_sid": "services",
            "default_conversation_creator_role_sid": "roles",
            "default_conversation_role_sid": "roles",
            "default_chat_service_role_sid": "roles",
        },
        has_account_column=False,
        order="chat_service_sid",
    ),
    Table(
        "roles",
        "roles",
        _BY_ACCOUNT,
        {
            "sid": "text",
            "chat_service_sid": "text",
            "friendly_name": "text",
            "type": "text",
            "permissions": "text",
            "date_created": "text",
            "date_updated": "text",
        },
        sid_prefix="RL",
        refs={"chat_service_sid": "services"},
    ),
    Table(
        "users",
        "users",
        _BY_ACCOUNT,
        {
            "sid": "text",
            "chat_service_sid": "text",
            "identity": "text",
            "friendly_name": "text?",
            "attributes": "text",
            "role_sid": "text",
            "date_created": "text",
            "date_updated": "text",
        },
        sid_prefix="US",
        refs={"chat_service_sid": "services", "role_sid": "roles"},
    ),
    Table(
        "conversations",
        "conversations",
        _BY_ACCOUNT,
        {
            "sid": "text",
            "chat_service_sid": "text",
            "messaging_service_sid": "text?",
            "friendly_name": "text?",
            "unique_name": "text?",
            "attributes": "text",
            "state": "text",
            "created_by": "text",
            "bindings": "text?",
            "inactive_timer": "text?",
            "closed_timer": "text?",
            "date_inactive": "text?",
            "date_closed": "text?",
            "next_message_index": "int",
            "date_created": "text",
            "date_updated": "text",
        },
        sid_prefix="CH",
        refs={"chat_service_sid": "services"},
    ),
    Table(
        "participants",
        "participants",
        _BY_ACCOUNT,
        {
            "sid": "text",
            "chat_service_sid": "text",
            "conversation_sid": "text",
            "user_sid": "text?",
            "identity": "text?",
            "attributes": "text",
            "role_sid": "text?",
            "binding_type": "text?",
            "binding_address": "text?",
            "binding_proxy_address": "text?",
            "binding_projected_address": "text?",
            "binding_key": "text?",
            "last_read_message_index": "int?",
            "last_read_timestamp": "text?",
            "notification_level": "text",
            "date_created": "text",
            "date_updated": "text",
        },
        sid_prefix="MB",
        refs={
            "chat_service_sid": "services",
            "conversation_sid": "conversations",
            "user_sid": "users",
            "role_sid": "roles",
        },
    ),
    Table(
        "messages",
        "messages",
        _BY_ACCOUNT,
        {
            "sid": "text",
            "chat_service_sid": "text",
            "conversation_sid": "text",
            "msg_index": "int",
            "author": "text?",
            "body": "text?",
            "attributes": "text",
            "participant_sid": "text?",
            "content_sid": "text?",
            "subject": "text?",
            "date_created": "text",
            "date_updated": "text",
            "delivery": "text?",
            "media": "text?",
        },
        sid_prefix="IM",
        refs={"chat_service_sid": "services", "conversation_sid": "conversations"},
    ),
    # Delivery receipts, address configurations, push credentials and bindings, notification
    # settings (migration 0011). `conversations.binding_participants` is derived on import.
    Table(
        "delivery_receipts",
        "delivery_receipts",
        _BY_ACCOUNT,
        {
            "sid": "text",
            "chat_service_sid": "text",
            "conversation_sid": "text",
            "message_sid": "text",
            "participant_sid": "text",
            "channel_message_sid": "text",
            "status": "text",
            "error_code": "int",
            "channel": "text",
            "to_address": "text",
            "from_address": "text?",
            "date_created": "text",
            "date_updated": "text",
        },
        sid_prefix="DY",
        refs={"chat_service_sid": "services", "conversation_sid": "conversations", "message_sid": "messages"},
    ),
    # Uploaded media with their bytes (migration 0012), after the messages they may belong to.
    Table(
        "media",
        "media",
        _BY_ACCOUNT,
        {
            "sid": "text",
            "chat_service_sid": "text",
            "conversation_sid": "text?",
            "message_sid": "text?",
            "author": "text?",
            "content_type": "text",
            "filename": "text?",
            "category": "text",
            "content": "bytes",  # `size` follows from it (emulator/snapshot.py `_derived`)
            "date_created": "text",
            "date_updated": "text",
        },
        sid_prefix="ME",
        refs={"chat_service_sid": "services", "conversation_sid": "conversations", "message_sid": "messages"},
    ),
    Table(
        "address_configurations",
        "address_configurations",
        _BY_ACCOUNT,
        {
            "sid": "text",
            "type": "text",
            "address": "text",
            "friendly_name": "text?",
            "address_country": "text?",
            "auto_creation": "text",
            "date_created": "text",
            "date_updated": "text",
        },
        sid_prefix="IG",
    ),
    Table(
        "credentials",
        "credentials",
        _BY_ACCOUNT,
        {
            "sid": "text",
            "type": "text",
            "friendly_name": "text?",
            "sandbox": "bool?",
            "certificate": "text?",
            "private_key": "text?",
            "api_key": "text?",
            "secret": "text?",
            "date_created": "text",
            "date_updated": "text",
        },
        sid_prefix="CR",
    ),
    Table(
        "bindings",
        "bindings",
        _BY_ACCOUNT,
        {
            "sid": "text",
            "chat_service_sid": "text",
            "credential_sid": "text?",
            "endpoint": "text",
            "identity": "text",
            "binding_type": "text",
            "message_types": "text",
            "date_created": "text",
            "date_updated": "text",
        },
        sid_prefix="BS",
        refs={"chat_service_sid": "services"},
    ),
    Table(
        "service_notifications",
        "service_notifications",
        _BY_ACCOUNT,
        {"chat_service_sid": "text", "settings": "text"},
        refs={"chat_service_sid": "services"},
        order="chat_service_sid",
    ),
    # Webhook configuration (migration 0006): at most one row per account and per service.
    Table(
        "account_webhook_configs",
        "account_webhooks",
        _BY_ACCOUNT,
        _WEBHOOK_CONFIG,
        order="account_sid",
    ),
    Table(
        "service_webhook_configs",
        "service_webhooks",
        _BY_ACCOUNT,
        {"chat_service_sid": "text", **_WEBHOOK_CONFIG},
        refs={"chat_service_sid": "services"},
        order="chat_service_sid",
    ),
    Table(
        "conversation_webhooks",
        "conversation_webhooks",
        _BY_ACCOUNT,
        {
            "sid": "text",
            "chat_service_sid": "text",
            "conversation_sid": "text",
            "target": "text",
            "url": "text?",
            "method": "text",
            "filters": "text",
            "triggers": "text",
            "flow_sid": "text?",
            "replay_after": "int?",
            "date_created": "text",
            "date_updated": "text",
        },
        sid_prefix="WH",
        refs={"chat_service_sid": "services", "conversation_sid": "conversations"},
    ),
    Table(
        "account_configs",
        "configuration",
        _BY_ACCOUNT,
        {
            "default_chat_service_sid": "text?",
            "default_messaging_service_sid": "text?",
            "default_inactive_timer": "text?",
            "default_closed_timer": "text?",
        },
        refs={"default_chat_service_sid": "services"},
        order="account_sid",
        single=True,
    ),
]

# Per-account rows that are records rather than state: gone on Reset (the clock back to the
# server's, an empty journal, no webhook deliveries still pending from before, no realtime events
# describing objects that no longer exist), never part of a snapshot. The realtime log is derived
# from the tables above change by change; an import writes no events (docs/decisions.md #138).
EMULATOR_TABLES = (
    "emulator_clocks",
    "emulator_requests",
    "webhook_deliveries",
    "realtime_events",
    "realtime_connections",  # open sockets (process state): a reset forgets them, a snapshot never has them
)


def _normalise(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind in ("bool", "bool?"):
        return bool(value)
    if kind in ("int", "int?"):
        return int(value)
    return value


async def export_rows(tx: Tx, account_sid: str, table: Table) -> list[dict[str, Any]]:
    """The account's rows of `table`, in insertion order, engine differences (booleans) evened out."""
    names = list(table.columns)
    rows = await tx.all(
        f"SELECT {', '.join(names)} FROM {table.name} WHERE {table.owned} ORDER BY {table.order}", account_sid
    )
    return [{n: _normalise(table.columns[n], row[n]) for n in names} for row in rows]


async def delete_all(tx: Tx, account_sid: str, *, emulator_rows: bool = True) -> None:
    """Delete every row the account owns (the account row itself stays), children first; with
    `emulator_rows=False` its clock and journal stay (a snapshot import replaces only state)."""
    if emulator_rows:
        for name in EMULATOR_TABLES:
            await tx.run(f"DELETE FROM {name} WHERE account_sid = ?", account_sid)
    for table in reversed(ACCOUNT_TABLES):
        await tx.run(f"DELETE FROM {table.name} WHERE {table.owned}", account_sid)


async def insert_row(tx: Tx, account_sid: str, table: Table, row: Mapping[str, Any]) -> None:
    values = dict(row)
    for name, kind in table.columns.items():
        if kind == "bytes" and isinstance(values.get(name), str):  # checked base64 (emulator/snapshot.py)
            values[name] = base64.b64decode(values[name])
    if table.has_account_column:
        values["account_sid"] = account_sid
    names = list(values)
    marks = ", ".join("?" for _ in names)
    await tx.run(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})", *values.values())


async def conversation_ids(tx: Tx, account_sid: str) -> dict[str, int]:
    rows = await tx.all("SELECT sid, id FROM conversations WHERE account_sid = ?", account_sid)
    return {r["sid"]: int(r["id"]) for r in rows}
