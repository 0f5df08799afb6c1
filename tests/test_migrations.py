"""Schema migrations on a database that already holds rows, on both engines.

`chinwag migrate` on an empty database is covered in test_cli.py; here a database is left at an
older revision with rows in it, then upgraded (and downgraded), and the data checked with raw SQL.
"""

from __future__ import annotations

import importlib
import json

import orjson
import pytest

from chinwag.domain.models import User
from chinwag.domain.user_record import record_json
from chinwag.storage import migrate
from tests.support.raw_sql import Raw


@pytest.fixture
def database(empty_database: str) -> str:
    return empty_database


_PARTICIPANT = (
    "INSERT INTO participants (sid, account_sid, chat_service_sid, conversation_sid, identity, attributes,"
    " date_created, date_updated{extra}) VALUES (?, 'AC1', 'IS1', ?, ?, '{{}}', 'd', 'd'{marks})"
)


def _participant(db: Raw, sid: str, conversation_sid: str, identity: str, *conversation_id: int) -> None:
    extra, marks = (", conversation_id", ", ?") if conversation_id else ("", "")
    db.all(_PARTICIPANT.format(extra=extra, marks=marks), sid, conversation_sid, identity, *conversation_id)


def _seed_0002(db: Raw) -> None:
    """Conversations whose ids are not in SID order, and participants spread over them."""
    db.all("INSERT INTO accounts (sid, auth_token, date_created) VALUES ('AC1', 't', 'd')")
    db.all(
        "INSERT INTO services (sid, account_sid, friendly_name, date_created, date_updated)"
        " VALUES ('IS1', 'AC1', 'svc', 'd', 'd')"
    )
    for sid in ("CH3", "CH1", "CH2"):
        db.all(
            "INSERT INTO conversations (sid, account_sid, chat_service_sid, attributes, state, created_by,"
            " date_created, date_updated) VALUES (?, 'AC1', 'IS1', '{}', 'active', 'system', 'd', 'd')",
            sid,
        )
    for n in range(7):
        _participant(db, f"MB{n}", f"CH{1 + n % 3}", f"user-{n}")


def test_0003_participants_get_their_conversation_id(database: str) -> None:
    db = Raw(database)
    migrate.upgrade(database, "0002")
    _seed_0002(db)
    migrate.upgrade(database)

    # Existing rows were filled from their conversation_sid.
    rows = db.all(
        "SELECT p.sid, p.conversation_id, c.id FROM participants p JOIN conversations c ON c.sid = p.conversation_sid"
    )
    assert len(rows) == 7
    assert all(conversation_id == c_id for _, conversation_id, c_id in rows)
    ids = dict(db.all("SELECT sid, id FROM conversations"))
    assert ids["CH3"] < ids["CH1"]  # so a fill by position rather than by SID would have shown

    # New rows must name an existing conversation.
    assert db.refused(_PARTICIPANT.format(extra="", marks=""), "MBx", "CH1", "no-id")
    assert db.refused(_PARTICIPANT.format(extra=", conversation_id", marks=", ?"), "MBy", "CH1", "bad-id", 10**6)
    _participant(db, "MB7", "CH1", "user-7", ids["CH1"])
    # The constraints the table had survive (SQLite rebuilds the table to add the NOT NULL column).
    assert db.refused(_PARTICIPANT.format(extra=", conversation_id", marks=", ?"), "MB8", "CH1", "user-7", ids["CH1"])
    assert db.refused(_PARTICIPANT.format(extra=", conversation_id", marks=", ?"), "MB7", "CH2", "user-8", ids["CH2"])

    # Deleting a conversation still deletes its participants, and only those.
    db.all("DELETE FROM conversations WHERE sid = 'CH1'")
    left = db.all("SELECT conversation_sid, conversation_id FROM participants ORDER BY id")
    assert sorted({sid for sid, _ in left}) == ["CH2", "CH3"]
    assert all(conversation_id == ids[sid] for sid, conversation_id in left)

    # Down and up again: the column goes, the rows stay, and the column comes back filled.
    migrate.downgrade(database, "0002")
    assert "conversation_id" not in db.columns("participants")
    assert len(db.all("SELECT sid FROM participants")) == len(left)
    migrate.upgrade(database)
    assert db.all("SELECT conversation_sid, conversation_id FROM participants ORDER BY id") == left


_USER = (
    "INSERT INTO users (sid, account_sid, chat_service_sid, identity, friendly_name, attributes, role_sid,"
    " date_created, date_updated) VALUES (?, 'AC1', 'IS1', ?, ?, ?, 'RL1', '2026-01-02T03:04:05Z', ?)"
)
_USER_COLUMNS = (
    "id, sid, account_sid, chat_service_sid, identity, friendly_name, attributes, role_sid, date_created, date_updated"
)


def test_0004_users_get_their_stored_record(database: str) -> None:
    db = Raw(database)
    migrate.upgrade(database, "0002")
    _seed_0002(db)
    migrate.upgrade(database, "0003")
    users = [
        ("US1", "plain", None, "{}", "2026-01-02T03:04:05Z"),
        ("US2", 'quote " and \\ back', "Zoë \u2603", '{"a": [1, 2]}', "2026-02-02T03:04:05Z"),
        ("US3", "line\nbreak", "", "[]", "2026-03-02T03:04:05Z"),
    ]
    for user in users:
        db.all(_USER, *user)
    migrate.upgrade(database)

    # Filled by the migration exactly as the application renders version 1 of the record.
    rows = db.all(f"SELECT {_USER_COLUMNS}, record_json, record_version FROM users ORDER BY id")
    assert len(rows) == 3
    for row in rows:
        stored = User(*row[:10])
        assert row[11] == 1
        assert orjson.loads(row[10] + "}") == orjson.loads(record_json(stored) + "}")

    migrate.downgrade(database, "0003")
    assert "record_json" not in db.columns("users") and "record_version" not in db.columns("users")
    assert len(db.all("SELECT sid FROM users")) == 3
    migrate.upgrade(database)
    assert db.all("SELECT record_version FROM users") == [(1,), (1,), (1,)]


def _indexes(db: Raw, table: str) -> set[str]:
    if db.postgres:
        sql = "SELECT indexname FROM pg_indexes WHERE tablename = ? AND schemaname = current_schema()"
        return {r[0] for r in db.all(sql, table)}
    return {r[1] for r in db.all(f"PRAGMA index_list({table})")}


def test_0005_role_holders_are_found_by_index(database: str) -> None:
    db = Raw(database)
    migrate.upgrade(database)
    assert "participants_by_role" in _indexes(db, "participants")
    if not db.postgres:  # PostgreSQL's planner picks by table statistics; SQLite's plan is fixed
        sql = "EXPLAIN QUERY PLAN SELECT 1 FROM participants WHERE chat_service_sid = ? AND role_sid = ?"
        plan = " ".join(str(r[-1]) for r in db.all(sql, "IS1", "RL1"))
        assert "participants_by_role" in plan, plan
    migrate.downgrade(database, "0004")
    assert "participants_by_role" not in _indexes(db, "participants")


def test_0006_webhook_configuration_tables(database: str) -> None:
    db = Raw(database)
    migrate.upgrade(database, "0002")
    _seed_0002(db)
    migrate.upgrade(database, "0005")
    before = db.all("SELECT sid, conversation_sid FROM participants ORDER BY id")
    migrate.upgrade(database)

    # The rows that were there are untouched; the new tables start empty and take rows.
    assert db.all("SELECT sid, conversation_sid FROM participants ORDER BY id") == before
    db.all("INSERT INTO account_webhook_configs (account_sid, post_webhook_url) VALUES ('AC1', 'https://a/')")
    db.all(
        "INSERT INTO service_webhook_configs (chat_service_sid, account_sid, pre_webhook_url) VALUES ('IS1', 'AC1', 'https://s/')"
    )
    hook = (
        "INSERT INTO conversation_webhooks (sid, account_sid, chat_service_sid, conversation_sid, target, url,"
        " date_created, date_updated) VALUES (?, 'AC1', 'IS1', ?, 'webhook', 'https://c/', 'd', 'd')"
    )
    db.all(hook, "WH1", "CH1")
    db.all(hook, "WH2", "CH2")
    # Defaults as the application reads them.
    assert db.all("SELECT method, filters, target FROM account_webhook_configs") == [("POST", "[]", "webhook")]
    assert db.all("SELECT method, filters, triggers FROM conversation_webhooks WHERE sid = 'WH1'") == [
        ("POST", "[]", "[]")
    ]
    # A hook needs a conversation; a service configuration a service; SIDs are unique.
    assert db.refused(hook, "WH3", "CH-missing")
    assert db.refused(
        "INSERT INTO service_webhook_configs (chat_service_sid, account_sid) VALUES ('IS-missing', 'AC1')"
    )
    assert db.refused(hook, "WH1", "CH3")
    assert "conversation_webhooks_by_conversation" in _indexes(db, "conversation_webhooks")

    # Deleting a conversation deletes its hooks only; deleting the service its configuration.
    db.all("DELETE FROM conversations WHERE sid = 'CH1'")
    assert db.all("SELECT sid FROM conversation_webhooks") == [("WH2",)]
    db.all("DELETE FROM services WHERE sid = 'IS1'")
    assert db.all("SELECT COUNT(*) FROM service_webhook_configs") == [(0,)]
    assert db.all("SELECT COUNT(*) FROM conversation_webhooks") == [(0,)]
    assert db.all("SELECT post_webhook_url FROM account_webhook_configs") == [("https://a/",)]

    # Down: the tables go, everything else stays; up again: they come back empty.
    migrate.downgrade(database, "0005")
    assert db.columns("conversation_webhooks") == set()
    assert db.all("SELECT sid FROM accounts") == [("AC1",)]
    migrate.upgrade(database)
    assert db.all("SELECT COUNT(*) FROM account_webhook_configs") == [(0,)]


def test_0007_event_outbox(database: str) -> None:
    db = Raw(database)
    migrate.upgrade(database, "0002")
    _seed_0002(db)
    migrate.upgrade(database, "0006")
    before = db.all("SELECT sid, conversation_sid FROM participants ORDER BY id")
    migrate.upgrade(database, "0007")

    assert db.all("SELECT sid, conversation_sid FROM participants ORDER BY id") == before
    delivery = (
        "INSERT INTO webhook_deliveries (sid, account_sid, conversation_sid, lane, event_type, url, method, params,"
        " token, status, next_at, created_at, date_created, date_updated)"
        " VALUES (?, 'AC1', 'CH1', 'CH1 https://a/', 'onMessageAdded', 'https://a/', 'POST', '[]', 't', ?,"
        " 1, 1, 'd', 'd')"
    )
    db.all(delivery, "WD1", "pending")
    db.all(delivery, "WD2", "delivered")
    db.all("INSERT INTO webhook_lanes (lane) VALUES ('CH1 https://a/')")
    assert db.all("SELECT attempts FROM webhook_deliveries WHERE sid = 'WD1'") == [(0,)]
    assert db.all("SELECT version, has_work, next_at, lease_until FROM webhook_lanes") == [(0, 1, 0.0, 0.0)]
    assert db.refused(delivery, "WD1", "pending")  # SIDs are unique
    assert db.refused("INSERT INTO webhook_lanes (lane) VALUES ('CH1 https://a/')")
    assert {"webhook_deliveries_pending", "webhook_deliveries_by_account"} <= _indexes(db, "webhook_deliveries")

    migrate.downgrade(database, "0006")
    assert db.columns("webhook_deliveries") == set() and db.columns("webhook_lanes") == set()
    assert db.all("SELECT sid, conversation_sid FROM participants ORDER BY id") == before
    migrate.upgrade(database)
    assert db.all("SELECT COUNT(*) FROM webhook_deliveries") == [(0,)]


def test_0008_emulator_tables_keep_existing_rows(database: str) -> None:
    db = Raw(database)
    migrate.upgrade(database, "0006")
    db.all("INSERT INTO accounts (sid, auth_token, date_created) VALUES ('AC1', 't', 'd')")
    db.all(
        "INSERT INTO services (sid, account_sid, friendly_name, date_created, date_updated)"
        " VALUES ('IS1', 'AC1', 'svc', 'd', 'd')"
    )
    migrate.upgrade(database)
    assert db.all("SELECT sid, account_sid FROM services") == [("IS1", "AC1")]
    db.all("INSERT INTO emulator_clocks (account_sid, offset_seconds) VALUES ('AC1', 60.5)")
    db.all(
        "INSERT INTO emulator_requests (account_sid, method, path, query, params, status, date_created)"
        " VALUES ('AC1', 'GET', '/v1/Users', '', '{}', 200, 'd')"
    )
    assert db.all("SELECT offset_seconds FROM emulator_clocks") == [(60.5,)]
    assert "emulator_requests_by_account" in _indexes(db, "emulator_requests")
    # The account's rows go with it.
    db.all("DELETE FROM accounts WHERE sid = 'AC1'")
    assert db.all("SELECT * FROM emulator_clocks") == [] and db.all("SELECT * FROM emulator_requests") == []
    migrate.downgrade(database, "0006")
    if db.postgres:
        tables = {r[0] for r in db.all("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
    else:
        tables = {r[0] for r in db.all("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "emulator_clocks" not in tables and "emulator_requests" not in tables
    assert "services" in tables


def test_0011_binding_participants_are_counted(database: str) -> None:
    db = Raw(database)
    migrate.upgrade(database, "0002")
    _seed_0002(db)  # chat participants MB0..MB6 over CH1..CH3
    migrate.upgrade(database, "0009")
    ids = dict(db.all("SELECT sid, id FROM conversations"))
    for n, conversation in enumerate(("CH1", "CH1", "CH2")):
        db.all(
            "INSERT INTO participants (sid, account_sid, chat_service_sid, conversation_sid, conversation_id,"
            " attributes, binding_type, binding_address, date_created, date_updated)"
            " VALUES (?, 'AC1', 'IS1', ?, ?, '{}', 'sms', ?, 'd', 'd')",
            f"MBs{n}",
            conversation,
            ids[conversation],
            f"+1555000000{n}",
        )
    db.all(
        "INSERT INTO messages (sid, account_sid, chat_service_sid, conversation_sid, msg_index, author,"
        " attributes, date_created, date_updated) VALUES ('IM1', 'AC1', 'IS1', 'CH1', 0, 'a', '{}', 'd', 'd')"
    )
    migrate.upgrade(database)

    counts = dict(db.all("SELECT sid, binding_participants FROM conversations"))
    assert counts == {"CH1": 2, "CH2": 1, "CH3": 0}
    assert db.all("SELECT sid, delivery FROM messages") == [("IM1", None)]
    # Receipts belong to their message: deleting it deletes them.
    db.all(
        "INSERT INTO delivery_receipts (sid, account_sid, chat_service_sid, conversation_sid, message_sid,"
        " participant_sid, channel_message_sid, status, channel, to_address, date_created, date_updated)"
        " VALUES ('DY1', 'AC1', 'IS1', 'CH1', 'IM1', 'MBs0', 'SM1', 'sent', 'sms', '+15550000000', 'd', 'd')"
    )
    assert db.refused(
        "INSERT INTO delivery_receipts (sid, account_sid, chat_service_sid, conversation_sid, message_sid,"
        " participant_sid, channel_message_sid, status, channel, to_address, date_created, date_updated)"
        " VALUES ('DY2', 'AC1', 'IS1', 'CH1', 'IM1', 'MBs0', 'SM2', 'sent', 'sms', '+15550000000', 'd', 'd')"
    )  # one receipt per message and participant
    db.all("DELETE FROM messages WHERE sid = 'IM1'")
    assert db.all("SELECT sid FROM delivery_receipts") == []
    # One configuration per account, type and address.
    address = (
        "INSERT INTO address_configurations (sid, account_sid, type, address, auto_creation, date_created,"
        " date_updated) VALUES (?, 'AC1', 'sms', '+15550001111', '{}', 'd', 'd')"
    )
    db.all(address, "IG1")
    assert db.refused(address, "IG2")

    migrate.downgrade(database, "0009")
    assert "binding_participants" not in db.columns("conversations")
    assert "delivery" not in db.columns("messages")
    assert len(db.all("SELECT sid FROM participants")) == 10
    migrate.upgrade(database)
    assert dict(db.all("SELECT sid, binding_participants FROM conversations")) == counts


def test_0012_media_rows_and_the_messages_media_list(database: str) -> None:
    db = Raw(database)
    migrate.upgrade(database, "0002")
    _seed_0002(db)
    migrate.upgrade(database, "0011")
    message = (
        "INSERT INTO messages (sid, account_sid, chat_service_sid, conversation_sid, msg_index, author,"
        " attributes, date_created, date_updated) VALUES (?, 'AC1', 'IS1', 'CH1', ?, 'a', '{}', 'd', 'd')"
    )
    db.all(message, "IM1", 0)
    db.all(message, "IM2", 1)
    migrate.upgrade(database)

    assert db.all("SELECT sid, media FROM messages ORDER BY sid") == [("IM1", None), ("IM2", None)]
    media = (
        "INSERT INTO media (sid, account_sid, chat_service_sid, conversation_sid, message_sid, content_type,"
        " category, size, content, date_created, date_updated) VALUES (?, 'AC1', 'IS1', ?, ?, 'image/png',"
        " 'media', 3, ?, 'd', 'd')"
    )
    db.all(media, "ME1", "CH1", "IM1", b"\x00\x01\xff")
    db.all(media, "ME2", None, None, b"abc")  # uploaded, not attached
    assert db.all("SELECT content FROM media WHERE sid = 'ME1'") == [(b"\x00\x01\xff",)]
    assert db.refused(media, "ME3", "CH1", "IM9", b"x")  # a message that does not exist
    assert db.refused(media, "ME1", None, None, b"x")  # SIDs are unique
    # Media go with their message.
    db.all("DELETE FROM messages WHERE sid = 'IM1'")
    assert db.all("SELECT sid FROM media") == [("ME2",)]

    migrate.downgrade(database, "0011")
    assert "media" not in db.columns("messages")
    assert [r[0] for r in db.all("SELECT sid FROM messages")] == ["IM2"]
    migrate.upgrade(database)
    assert db.all("SELECT sid FROM media") == []


_POST = (
    "SELECT sid, msg_index, participant_sid, account_sid, chat_service_sid FROM chinwag_post_message("
    "'AC1', NULL, ?, true, ?, 'user-0', true, 'hi', '{}', NULL, NULL, 'd', 'd')"
)


def test_0014_post_message_function(database: str) -> None:
    db = Raw(database)
    migrate.upgrade(database, "0002")
    _seed_0002(db)  # MB0 (user-0) and MB3 (user-3) in CH1
    migrate.upgrade(database, "0011")
    db.all("INSERT INTO account_configs (account_sid, default_chat_service_sid) VALUES ('AC1', 'IS1')")
    db.all("UPDATE conversations SET next_message_index = 1 WHERE sid = 'CH1'")
    db.all("UPDATE conversations SET state = 'closed' WHERE sid = 'CH2'")
    db.all("UPDATE participants SET last_read_message_index = 0, unread_count = 0 WHERE sid = 'MB0'")
    db.all(
        "INSERT INTO messages (sid, account_sid, chat_service_sid, conversation_sid, msg_index, author,"
        " attributes, date_created, date_updated) VALUES ('IM0', 'AC1', 'IS1', 'CH1', 0, 'a', '{}', 'd', 'd')"
    )
    migrate.upgrade(database, "0014")  # 0016 gives the function two more arguments (its own test)
    if db.postgres:
        # The next index, the author's participant, and the unread count of the reader below it.
        assert db.all(_POST, "CH1", "IM1") == [("IM1", 1, "MB0", "AC1", "IS1")]
        assert db.all("SELECT unread_count FROM participants WHERE sid = 'MB0'") == [(1,)]
        assert db.all("SELECT next_message_index FROM conversations WHERE sid = 'CH1'") == [(2,)]
        # Not a plain conversation (closed), or none: no row, nothing written.
        assert db.all(_POST, "CH2", "IM2") == []
        assert db.all(_POST, "CH9", "IM3") == []
        assert db.all("SELECT sid FROM messages ORDER BY sid") == [("IM0",), ("IM1",)]
    migrate.downgrade(database, "0011")
    if db.postgres:
        gone = (
            "SELECT 1 FROM pg_proc WHERE proname = 'chinwag_post_message'"
            " AND pronamespace = current_schema()::regnamespace"
        )
        assert db.all(gone) == []
    assert len(db.all("SELECT sid FROM messages")) == (2 if db.postgres else 1)
    migrate.upgrade(database)


_POST_WITH_EVENTS = (
    "SELECT sid, msg_index, participant_sid FROM chinwag_post_message("
    "'AC1', NULL, 'CH1', true, ?, 'user-0', true, 'hi', '{}', NULL, NULL, 'd1', 'd1', ?, 'e1')"
)


def test_0016_the_one_statement_post_writes_its_realtime_events(database: str) -> None:
    db = Raw(database)
    migrate.upgrade(database, "0002")
    _seed_0002(db)  # MB0 (user-0) in CH1
    migrate.upgrade(database, "0015")
    db.all("INSERT INTO account_configs (account_sid, default_chat_service_sid) VALUES ('AC1', 'IS1')")
    migrate.upgrade(database)
    if not db.postgres:
        return  # the function is PostgreSQL's; SQLite posts write their events in Python
    item = '{"sid": "IM1", "author": "user-0", "text": "hi", "memberSid": null, "type": "text"}'
    assert db.all(_POST_WITH_EVENTS, "IM1", item) == [("IM1", 0, "MB0")]
    events = db.all(
        "SELECT object_sid, object_type, event_type, item_index, data, date_created FROM realtime_events ORDER BY id"
    )
    assert [e[:4] for e in events] == [
        ("CH1.msgs", "list", "list_item_added", 0),
        ("CH1.doc", "document", "document_updated", None),
    ]
    assert {e[5] for e in events} == {"e1"}
    listed, document = json.loads(events[0][4]), json.loads(events[1][4])
    assert listed == {"sid": "IM1", "author": "user-0", "text": "hi", "memberSid": "MB0", "type": "text"}
    assert document["lastMessage"] == {"index": 0, "timestamp": "d1"}
    assert (document["messages"], document["roster"]) == ("CH1.msgs", "CH1.roster")
    assert {"friendlyName", "uniqueName", "attributes", "createdBy", "dateCreated", "state"} <= set(document)
    migrate.downgrade(database, "0015")  # 0014's function again, with its thirteen arguments
    assert db.all(_POST, "CH1", "IM2") == [("IM2", 1, "MB0", "AC1", "IS1")]
    assert len(db.all("SELECT id FROM realtime_events")) == 2
    migrate.upgrade(database)


def test_0015_realtime_connections(database: str) -> None:
    db = Raw(database)
    migrate.upgrade(database, "0002")
    _seed_0002(db)
    migrate.upgrade(database, "0013")
    migrate.upgrade(database)
    assert [r[0] for r in db.all("SELECT sid FROM conversations ORDER BY sid")] == ["CH1", "CH2", "CH3"]
    row = (
        "INSERT INTO realtime_connections (account_sid, chat_service_sid, user_sid, process, host, pid, lease_until)"
        " VALUES ('AC1', 'IS1', ?, 'h:1:ab', 'h', 1, ?)"
    )
    db.all(row, "US1", 1e9)
    db.all(row, "US1", 2e9)
    assert db.all("SELECT user_sid, lease_until FROM realtime_connections ORDER BY id") == [
        ("US1", 1e9),
        ("US1", 2e9),
    ]
    assert {"realtime_connections_by_user", "realtime_connections_by_process"} <= _indexes(db, "realtime_connections")
    migrate.downgrade(database, "0013")
    if db.postgres:
        tables = {r[0] for r in db.all("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
    else:
        tables = {r[0] for r in db.all("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "realtime_connections" not in tables and "realtime_events" in tables


# Where 0013 is chained (assigned after 0011; it follows whatever the lead chains it after).
BEFORE_0013: str = importlib.import_module("chinwag.storage.migrations.versions.0013_realtime_events").down_revision
_EVENT = (
    "INSERT INTO realtime_events (account_sid, object_sid, object_type, event_type, item_key, item_index, data,"
    " date_created) VALUES ('AC1', ?, 'list', 'list_item_added', NULL, ?, '{}', 'd') RETURNING id"
)


def test_0013_the_realtime_log(database: str) -> None:
    db = Raw(database)
    migrate.upgrade(database, "0002")
    _seed_0002(db)
    migrate.upgrade(database, BEFORE_0013)
    db.all(
        "INSERT INTO messages (sid, account_sid, chat_service_sid, conversation_sid, msg_index, author,"
        " attributes, date_created, date_updated) VALUES ('IM1', 'AC1', 'IS1', 'CH1', 0, 'a', '{}', 'd', 'd')"
    )
    migrate.upgrade(database)

    assert db.all("SELECT COUNT(*) FROM realtime_events") == [(0,)]  # nothing back-filled: ids start above 0
    assert "realtime_events_by_object" in _indexes(db, "realtime_events")
    first = db.all(_EVENT, "CH1.msgs", 0)[0][0]
    second = db.all(_EVENT, "CH1.msgs", 1)[0][0]
    assert 0 < first < second
    # An id is never handed out again, not even after the newest row is deleted (Reset does that).
    db.all("DELETE FROM realtime_events WHERE id = ?", second)
    assert db.all(_EVENT, "CH1.msgs", 2)[0][0] > second
    # No foreign keys: the events of a conversation outlive it (its removal is an event too).
    db.all("DELETE FROM conversations WHERE sid = 'CH1'")
    assert db.all("SELECT COUNT(*) FROM realtime_events WHERE object_sid = 'CH1.msgs'") == [(2,)]
    assert db.refused(
        "INSERT INTO realtime_events (account_sid, object_sid, object_type, event_type, date_created)"
        " VALUES ('AC1', NULL, 'map', 'map_removed', 'd')"
    )

    migrate.downgrade(database, BEFORE_0013)
    assert "realtime_events" not in _tables(db)
    assert [r[0] for r in db.all("SELECT sid FROM conversations ORDER BY sid")] == ["CH2", "CH3"]
    migrate.upgrade(database)
    assert db.all("SELECT COUNT(*) FROM realtime_events") == [(0,)]


def _tables(db: Raw) -> set[str]:
    if db.postgres:
        return {r[0] for r in db.all("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
    return {r[0] for r in db.all("SELECT name FROM sqlite_master WHERE type = 'table'")}
