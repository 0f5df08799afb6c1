"""Snapshots: an account's whole state as one versioned JSON document, and back (docs/decisions.md #81).

The document is `{"chinwag_snapshot": 1, "<table key>": [rows…], …, "configuration": {…}}`, one key
per entry of `storage/repos/account_state.ACCOUNT_TABLES`, rows in insertion order with their
columns as stored (SIDs, dates, deadlines, next message indexes). It names no account, so it loads
into any account. Keys are sorted and nothing in it depends on when it was made: the same state
exports the same bytes. Importing replaces the account's state in one transaction; a document of
another version, or one that does not hold together, is a 400 and nothing changes.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter, defaultdict
from typing import Any

import orjson

from chinwag.core.errors import invalid
from chinwag.core.sids import SidPrefix, looks_like
from chinwag.domain.models import User
from chinwag.domain.user_record import RECORD_VERSION, record_json
from chinwag.storage.db import Tx
from chinwag.storage.dialect import ReferenceGone, UniqueViolation
from chinwag.storage.repos import account_state as repo
from chinwag.storage.repos.account_state import ACCOUNT_TABLES, Table

VERSION = 1
VERSION_KEY = "chinwag_snapshot"
UNREAD_CAP = 1000  # docs/decisions.md #8
Document = dict[str, Any]


async def export(tx: Tx, account_sid: str) -> Document:
    doc: Document = {VERSION_KEY: VERSION}
    for table in ACCOUNT_TABLES:
        rows = await repo.export_rows(tx, account_sid, table)
        doc[table.key] = (rows[0] if rows else None) if table.single else rows
    return doc


def dumps(doc: Document) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def parse(raw: bytes) -> Document:
    """The document in `raw`, checked to hold together; a 400 naming the first problem otherwise."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise invalid(f"The snapshot is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or VERSION_KEY not in doc:
        raise invalid(f"Not a chinwag snapshot: a JSON object with the key {VERSION_KEY!r} is expected")
    version = doc[VERSION_KEY]
    if type(version) is not int or version != VERSION:
        raise invalid(f"Unsupported snapshot version {version!r}: this server reads version {VERSION}")
    known = {VERSION_KEY} | {t.key for t in ACCOUNT_TABLES}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise invalid(f"Unknown key in the snapshot: {unknown[0]!r}")
    for table in ACCOUNT_TABLES:
        rows = _rows(doc, table)
        for at, row in enumerate(rows):
            _check_row(table, at, row)
    _check_relations(doc)
    return doc


def _rows(doc: Document, table: Table) -> list[dict[str, Any]]:
    value = doc.get(table.key)
    if table.single:
        if not isinstance(value, dict):
            raise invalid(f"The snapshot's {table.key!r} must be an object")
        return [value]
    if value is None:
        return []  # a table added after the document was made: nothing of it
    if not isinstance(value, list):
        raise invalid(f"The snapshot's {table.key!r} must be a list")
    return value


def _check_row(table: Table, at: int, row: Any) -> None:
    where = f"{table.key}[{at}]" if not table.single else table.key
    if not isinstance(row, dict):
        raise invalid(f"The snapshot's {where} must be an object")
    missing = sorted(set(table.columns) - set(row))
    extra = sorted(set(row) - set(table.columns))
    if missing or extra:
        what = f"lacks {missing[0]!r}" if missing else f"has an unknown field {extra[0]!r}"
        raise invalid(f"The snapshot's {where} {what}")
    for name, kind in table.columns.items():
        value = row[name]
        if value is None and kind.endswith("?"):
            continue
        ok = {
            "text": isinstance(value, str) and "\x00" not in value,
            "int": type(value) is int and -(2**63) <= value < 2**63,
            "bool": type(value) is bool,
            "bytes": isinstance(value, str) and _is_base64(value),
        }[kind.rstrip("?")]
        if not ok:
            raise invalid(f"The snapshot's {where}.{name} must be {_KIND_WORDS[kind]}")
    if table.sid_prefix is not None and not looks_like(row["sid"], SidPrefix(table.sid_prefix)):
        raise invalid(f"The snapshot's {where}.sid is not a {table.sid_prefix} SID: {row['sid']!r}")


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


_KIND_WORDS = {
    "bytes": "base64 text",
    "text": "a string",
    "text?": "a string or null",
    "int": "an integer",
    "int?": "an integer or null",
    "bool": "true or false",
    "bool?": "true, false or null",
}


def _check_relations(doc: Document) -> None:
    """References stay inside the document (a snapshot cannot point into another account)."""
    sids: dict[str, set[str]] = {}
    for table in ACCOUNT_TABLES:
        if table.sid_prefix is None:
            continue
        counted = Counter(row["sid"] for row in _rows(doc, table))
        twice = [sid for sid, n in counted.items() if n > 1]
        if twice:
            raise invalid(f"The snapshot holds {table.key} SID {twice[0]} twice")
        sids[table.key] = set(counted)
    for table in ACCOUNT_TABLES:
        for at, row in enumerate(_rows(doc, table)):
            for column, target in table.refs.items():
                value = row[column]
                if value is not None and value not in sids.get(target, set()):
                    where = table.key if table.single else f"{table.key}[{at}]"
                    raise invalid(f"The snapshot's {where}.{column} names {value}, which is not in its {target}")
    if doc["configuration"]["default_chat_service_sid"] is None:
        raise invalid("The snapshot's configuration.default_chat_service_sid must name one of its services")
    next_index = {c["sid"]: c["next_message_index"] for c in doc.get("conversations") or []}
    for at, message in enumerate(doc.get("messages") or []):
        if not 0 <= message["msg_index"] < next_index[message["conversation_sid"]]:
            raise invalid(
                f"The snapshot's messages[{at}].msg_index must be at least 0 and below its conversation's"
                " next_message_index"
            )


async def load(tx: Tx, account_sid: str, doc: Document) -> None:
    """Replace the account's state with the (parsed) document, in the caller's transaction."""
    indexes: dict[str, list[int]] = defaultdict(list)
    for message in doc.get("messages") or []:
        indexes[message["conversation_sid"]].append(message["msg_index"])
    # Participants with a messaging binding, per conversation (migration 0011's counter).
    binding_counts: dict[str, int] = defaultdict(int)
    for participant in doc.get("participants") or []:
        if participant.get("binding_address") is not None:
            binding_counts[participant["conversation_sid"]] += 1
    await repo.delete_all(tx, account_sid, emulator_rows=False)  # the clock keeps its time
    conversation_ids: dict[str, int] = {}
    try:
        for table in ACCOUNT_TABLES:
            if table.name == "participants":
                conversation_ids = await repo.conversation_ids(tx, account_sid)
            for row in _rows(doc, table):
                derived = _derived(table, account_sid, row, conversation_ids, indexes)
                if table.name == "conversations":
                    derived = {**derived, "binding_participants": binding_counts[row["sid"]]}
                await repo.insert_row(tx, account_sid, table, {**row, **derived})
    except UniqueViolation as exc:
        raise invalid(
            f"The snapshot clashes with data of another account (a SID or name in use): {exc.detail}"
        ) from None
    except ReferenceGone:
        raise invalid("The snapshot refers to something it does not hold") from None


def _derived(
    table: Table,
    account_sid: str,
    row: dict[str, Any],
    conversation_ids: dict[str, int],
    indexes: dict[str, list[int]],
) -> dict[str, Any]:
    """The columns a snapshot leaves out because they follow from the rest."""
    if table.name == "users":
        user = User(0, row["sid"], account_sid, *(row[c] for c in _USER_REST))
        return {"record_json": record_json(user), "record_version": RECORD_VERSION}
    if table.name == "participants":
        horizon = row["last_read_message_index"]
        unread = 0
        if horizon is not None:
            unread = min(UNREAD_CAP, sum(1 for i in indexes[row["conversation_sid"]] if i > horizon))
        return {"conversation_id": conversation_ids[row["conversation_sid"]], "unread_count": unread}
    if table.name == "media":
        return {"size": len(base64.b64decode(row["content"]))}
    return {}


_USER_REST = ("chat_service_sid", "identity", "friendly_name", "attributes", "role_sid", "date_created", "date_updated")
