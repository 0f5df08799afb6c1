"""A changed auth token, a removed account and a deleted API key take effect within a second in
every worker (docs/decisions.md #102): two server processes on one database, both engines.

Each check first warms the credential caches: many requests, each on a new connection, so both
processes have verified (and remembered) the credential. The change is then made behind the
servers' backs where that is how an operator would do it (SQL), or through the API, and after one
second every request, again each on a new connection, must be refused. Before the credentials
epoch, a remembered credential was accepted for up to 60 s.
"""

from __future__ import annotations

import os
import time

import httpx

from chinwag import bootstrap
from tests.conftest import Running, error_of
from tests.support.raw_sql import Raw

ROUNDS = 24  # new connections per check: the kernel spreads them over both processes
SETTLE = 1.0  # the promise


def statuses(running: Running, auth: tuple[str, str]) -> set[int]:
    return {httpx.get(running.url + "/v1/Users", auth=auth).status_code for _ in range(ROUNDS)}


def refused_everywhere(running: Running, auth: tuple[str, str]) -> None:
    for _ in range(ROUNDS):
        response = httpx.get(running.url + "/v1/Users", auth=auth)
        assert response.status_code == 401, response.text
        assert error_of(response)["code"] == 20003


def test_rotated_token(multi_running: Running) -> None:
    sid, token = bootstrap.create_account(multi_running.database_url)
    assert statuses(multi_running, (sid, token)) == {200}
    new_token = os.urandom(16).hex()
    Raw(multi_running.database_url).all("UPDATE accounts SET auth_token = ? WHERE sid = ?", new_token, sid)
    time.sleep(SETTLE)
    refused_everywhere(multi_running, (sid, token))
    assert statuses(multi_running, (sid, new_token)) == {200}


def test_removed_account(multi_running: Running) -> None:
    sid, token = bootstrap.create_account(multi_running.database_url)
    assert statuses(multi_running, (sid, token)) == {200}
    db = Raw(multi_running.database_url)
    # What an account holds refers to it; remove it the way an operator would, children first.
    db.all("UPDATE account_configs SET default_chat_service_sid = NULL WHERE account_sid = ?", sid)
    db.all("DELETE FROM services WHERE account_sid = ?", sid)
    db.all("DELETE FROM accounts WHERE sid = ?", sid)
    time.sleep(SETTLE)
    refused_everywhere(multi_running, (sid, token))


def test_deleted_key(multi_running: Running) -> None:
    sid, token = bootstrap.create_account(multi_running.database_url)
    made = httpx.post(f"{multi_running.url}/2010-04-01/Accounts/{sid}/Keys.json", auth=(sid, token)).json()
    key = (made["sid"], made["secret"])
    assert statuses(multi_running, key) == {200}
    deleted = httpx.delete(f"{multi_running.url}/2010-04-01/Accounts/{sid}/Keys/{made['sid']}.json", auth=(sid, token))
    assert deleted.status_code == 204
    time.sleep(SETTLE)
    refused_everywhere(multi_running, key)
    assert statuses(multi_running, (sid, token)) == {200}


def test_key_deleted_by_hand(multi_running: Running) -> None:
    sid, _ = bootstrap.create_account(multi_running.database_url)
    key_sid, secret = bootstrap.create_key(multi_running.database_url, sid, None)
    assert statuses(multi_running, (key_sid, secret)) == {200}
    Raw(multi_running.database_url).all("DELETE FROM api_keys WHERE sid = ?", key_sid)
    time.sleep(SETTLE)
    refused_everywhere(multi_running, (key_sid, secret))
