"""Push credentials (`/v1/Credentials`) through twilio-python, on both engines: secrets are
accepted and stored, and no response ever carries them."""

from __future__ import annotations

import re

import httpx
import pytest
from twilio.rest.conversations.v1 import V1

from chinwag import bootstrap
from tests.conftest import Account, Running, error_of, make_client
from tests.support.expect import twilio_error
from tests.support.raw_sql import Raw

CERT = "-----BEGIN CERTIFICATE-----\nMIIcert\n-----END CERTIFICATE-----"
KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIkey\n-----END RSA PRIVATE KEY-----"
SECRETS = ("MIIcert", "MIIkey", "fcm-server-key", "gcm-api-key")
KEYS = {"sid", "account_sid", "friendly_name", "type", "sandbox", "date_created", "date_updated", "url"}


def _no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_create_fetch_list_update_delete(twilio: V1, running: Running, http: httpx.Client) -> None:
    apn = twilio.credentials.create(type="apn", friendly_name="ios", certificate=CERT, private_key=KEY, sandbox=True)
    assert re.fullmatch(r"CR[0-9a-f]{32}", apn.sid)
    assert (apn.type, apn.friendly_name, apn.sandbox) == ("apn", "ios", "True")
    assert apn.url == f"{running.url}/v1/Credentials/{apn.sid}"
    fcm = twilio.credentials.create(type="fcm", friendly_name="android", secret="fcm-server-key")
    assert (fcm.type, fcm.sandbox) == ("fcm", None)
    gcm = twilio.credentials.create(type="gcm", api_key="gcm-api-key")
    assert gcm.friendly_name is None

    assert [c.sid for c in twilio.credentials.list()] == [apn.sid, fcm.sid, gcm.sid]
    assert [c.sid for c in twilio.credentials.list(page_size=2)] == [apn.sid, fcm.sid, gcm.sid]
    fetched = twilio.credentials(apn.sid).fetch()
    assert (fetched.friendly_name, fetched.sandbox, fetched.type) == ("ios", "True", "apn")

    # No route gives a secret back.
    for response in (
        http.get("/v1/Credentials"),
        http.get(f"/v1/Credentials/{apn.sid}"),
        http.post(f"/v1/Credentials/{fcm.sid}", data={"FriendlyName": "droid"}),
    ):
        assert response.status_code == 200
        _no_secrets(response.text)
        body = response.json()
        for record in body.get("credentials", [body]):
            assert set(record) == KEYS
    # They are stored all the same.
    stored = Raw(running.database_url).all("SELECT certificate, private_key FROM credentials WHERE sid = ?", apn.sid)
    assert stored == [(CERT, KEY)]

    changed = twilio.credentials(apn.sid).update(friendly_name="ios prod", sandbox=False, certificate=CERT + "2")
    assert (changed.friendly_name, changed.sandbox) == ("ios prod", "False")
    stored = Raw(running.database_url).all("SELECT certificate, private_key FROM credentials WHERE sid = ?", apn.sid)
    assert stored == [(CERT + "2", KEY)]

    assert twilio.credentials(apn.sid).delete() is True
    with twilio_error(404, 20404, f"/Credentials/{apn.sid}"):
        twilio.credentials(apn.sid).fetch()
    with twilio_error(404, 20404):
        twilio.credentials(apn.sid).update(friendly_name="x")
    with twilio_error(404, 20404):
        twilio.credentials(apn.sid).delete()
    assert [c.sid for c in twilio.credentials.list()] == [fcm.sid, gcm.sid]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({}, 20001),
        ({"Type": "voip"}, 20001),
        ({"Type": "APN", "Certificate": CERT, "PrivateKey": KEY}, 20001),
        ({"Type": "apn", "Certificate": CERT}, 20001),
        ({"Type": "apn", "PrivateKey": KEY}, 20001),
        ({"Type": "fcm"}, 20001),
        ({"Type": "fcm", "ApiKey": "gcm-api-key"}, 20001),
        ({"Type": "gcm", "Secret": "fcm-server-key"}, 20001),
        ({"Type": "fcm", "Secret": "fcm-server-key", "FriendlyName": "n" * 65}, 50003),
        ({"Type": "apn", "Certificate": CERT, "PrivateKey": KEY, "Sandbox": "perhaps"}, 20001),
        ({"Type": "fcm", "Secret": "s" * (64 * 1024 + 1)}, 20001),
    ],
)
def test_bad_input_creates_nothing(http: httpx.Client, data: dict[str, str], code: int) -> None:
    response = http.post("/v1/Credentials", data=data)
    assert response.status_code == 400, response.text
    assert error_of(response)["code"] == code
    _no_secrets(response.text)
    assert http.get("/v1/Credentials").json()["credentials"] == []


def test_bad_update_changes_nothing(twilio: V1, http: httpx.Client) -> None:
    made = twilio.credentials.create(type="fcm", friendly_name="kept", secret="fcm-server-key")
    for data in ({"Type": "apn"}, {"Secret": ""}, {"FriendlyName": "n" * 65}, {"Type": "x"}, {"Sandbox": "?"}):
        response = http.post(f"/v1/Credentials/{made.sid}", data=data)
        assert response.status_code == 400, (data, response.text)
    fetched = twilio.credentials(made.sid).fetch()
    assert (fetched.type, fetched.friendly_name, fetched.date_updated) == ("fcm", "kept", made.date_updated)
    # A type change that brings what the new type needs is fine.
    assert twilio.credentials(made.sid).update(type="apn", certificate=CERT, private_key=KEY).type == "apn"


def test_other_accounts_see_nothing(twilio: V1, running: Running) -> None:
    made = twilio.credentials.create(type="fcm", secret="fcm-server-key")
    other = make_client(running.url, Account(*bootstrap.create_account(running.database_url))).conversations.v1
    assert other.credentials.list() == []
    with twilio_error(404, 20404):
        other.credentials(made.sid).fetch()
    with twilio_error(404, 20404):
        other.credentials(made.sid).update(friendly_name="mine")
    with twilio_error(404, 20404):
        other.credentials(made.sid).delete()
    assert twilio.credentials(made.sid).fetch().friendly_name is None
