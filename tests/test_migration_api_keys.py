"""Migration 0009 (API keys, the credentials epoch) on a database that already holds accounts, on
both engines: the epoch moves on exactly the credential changes, keys go with their account, and
a downgrade leaves the accounts working without the triggers."""

from __future__ import annotations

import importlib

import pytest

from chinwag.storage import migrate
from tests.support.raw_sql import Raw
from tests.support.servers import PG_BASE

# The revision this migration follows, whatever the chain's numbering becomes.
BEFORE: str = importlib.import_module("chinwag.storage.migrations.versions.0009_api_keys").down_revision

_KEY = (
    "INSERT INTO api_keys (sid, account_sid, friendly_name, secret, date_created, date_updated)"
    " VALUES (?, ?, NULL, 's3cret', 'd', 'd')"
)


@pytest.fixture
def database(empty_database: str) -> str:
    return empty_database


def _epoch(db: Raw) -> int:
    return int(db.all("SELECT version FROM credentials_epoch WHERE id = 1")[0][0])


def test_0009_keys_and_the_credentials_epoch(database: str) -> None:
    db = Raw(database)
    migrate.upgrade(database, BEFORE)
    for sid in ("AC1", "AC2", "AC3"):
        db.all("INSERT INTO accounts (sid, auth_token, date_created) VALUES (?, 'tok', 'd')", sid)
    migrate.upgrade(database)

    assert db.all("SELECT sid, auth_token FROM accounts ORDER BY sid") == [
        ("AC1", "tok"),
        ("AC2", "tok"),
        ("AC3", "tok"),
    ]
    assert _epoch(db) == 0
    # What does not change a credential leaves the epoch alone.
    db.all(_KEY, "SK1", "AC1")
    db.all(_KEY, "SK2", "AC2")
    db.all("UPDATE api_keys SET friendly_name = 'n' WHERE sid = 'SK1'")
    db.all("UPDATE accounts SET friendly_name = 'n' WHERE sid = 'AC1'")
    assert _epoch(db) == 0
    # Every credential change moves it: a token, a key's secret, a removed key, a removed account.
    db.all("UPDATE accounts SET auth_token = 'new' WHERE sid = 'AC1'")
    assert _epoch(db) == 1
    db.all("UPDATE api_keys SET secret = 'other' WHERE sid = 'SK1'")
    assert _epoch(db) == 2
    db.all("DELETE FROM api_keys WHERE sid = 'SK1'")
    assert _epoch(db) == 3
    db.all("DELETE FROM accounts WHERE sid = 'AC2'")  # its key goes with it
    assert _epoch(db) >= 4
    assert db.all("SELECT sid FROM api_keys") == []
    # A key names an existing account, and its SID is unique.
    assert db.refused(_KEY, "SK3", "AC9")
    db.all(_KEY, "SK3", "AC3")
    assert db.refused(_KEY, "SK3", "AC1")

    # Down: the tables and triggers go, the accounts stay and still take a new token.
    migrate.downgrade(database, BEFORE)
    assert db.columns("api_keys") == set() and db.columns("credentials_epoch") == set()
    db.all("UPDATE accounts SET auth_token = 'after' WHERE sid = 'AC3'")
    db.all("DELETE FROM accounts WHERE sid = 'AC1'")
    assert db.all("SELECT sid, auth_token FROM accounts") == [("AC3", "after")]
    # Up again: an empty key table and a fresh epoch, whose triggers work.
    migrate.upgrade(database)
    assert db.all("SELECT sid FROM api_keys") == [] and _epoch(db) == 0
    db.all("UPDATE accounts SET auth_token = 'again' WHERE sid = 'AC3'")
    assert _epoch(db) == 1
    if db.postgres:  # a session on another search_path (an operator's psql) still bumps it
        schema = database.split("search_path=")[1]
        Raw(PG_BASE).all(f"UPDATE {schema}.accounts SET auth_token = 'psql' WHERE sid = 'AC3'")
        assert _epoch(db) == 2
