"""Push bindings (`/v1/Services/{ChatServiceSid}/Bindings`: list with filters, fetch, delete)
through twilio-python, on both engines. Registered with the domain's `register`
(tests/support/bindings.py): until the realtime layer, nothing public creates them."""

from __future__ import annotations

import re

import httpx
from twilio.rest.conversations.v1 import V1

from chinwag import bootstrap
from tests.conftest import Account, Running, error_of, make_client
from tests.support.bindings import register
from tests.support.expect import twilio_error


def test_list_filter_fetch_delete(twilio: V1, running: Running, account: Account) -> None:
    service = twilio.services.create(friendly_name="push")
    made = [
        register(running.database_url, account.sid, service.sid, "alice", "apn", "alice-iphone"),
        register(running.database_url, account.sid, service.sid, "alice", "fcm", "alice-pixel"),
        register(running.database_url, account.sid, service.sid, "bob", "fcm", "bob-pixel"),
    ]
    bindings = twilio.services(service.sid).bindings
    listed = bindings.list()
    assert [b.sid for b in listed] == made
    first = listed[0]
    assert re.fullmatch(r"BS[0-9a-f]{32}", first.sid)
    assert (first.identity, first.binding_type, first.endpoint, first.chat_service_sid) == (
        "alice",
        "apn",
        "alice-iphone",
        service.sid,
    )
    assert first.message_types == ["new_message", "added_to_conversation", "removed_from_conversation"]
    assert first.credential_sid == "CR" + "a" * 32
    assert first.url == f"{running.url}/v1/Services/{service.sid}/Bindings/{first.sid}"

    assert [b.sid for b in bindings.list(page_size=1)] == made
    assert [b.sid for b in bindings.list(identity=["alice"])] == made[:2]
    assert [b.sid for b in bindings.list(binding_type=["fcm"])] == made[1:]
    assert [b.sid for b in bindings.list(binding_type=["fcm"], identity=["bob", "carol"])] == made[2:]
    assert [b.sid for b in bindings.list(binding_type=["apn", "fcm"], page_size=1)] == made
    assert bindings.list(identity=["carol"]) == []

    fetched = bindings(made[1]).fetch()
    assert (fetched.sid, fetched.endpoint) == (made[1], "alice-pixel")

    assert bindings(made[1]).delete() is True
    with twilio_error(404, 20404, f"/Services/{service.sid}/Bindings/{made[1]}"):
        bindings(made[1]).fetch()
    with twilio_error(404, 20404):
        bindings(made[1]).delete()
    assert [b.sid for b in bindings.list()] == [made[0], made[2]]

    # Another service of the same account does not see them.
    other_service = twilio.services.create(friendly_name="other")
    assert twilio.services(other_service.sid).bindings.list() == []
    with twilio_error(404, 20404):
        twilio.services(other_service.sid).bindings(made[0]).fetch()
    # Deleting the service deletes its bindings.
    twilio.services(service.sid).delete()
    with twilio_error(404, 20404):
        twilio.services(service.sid).bindings(made[0]).fetch()


def test_bad_filters(twilio: V1, http: httpx.Client) -> None:
    service = twilio.services.create(friendly_name="push")
    path = f"/v1/Services/{service.sid}/Bindings"
    for params in ({"BindingType": "sms"}, {"BindingType": "FCM"}, {"Identity": [str(n) for n in range(101)]}):
        response = http.get(path, params=params)
        assert response.status_code == 400, response.text
        assert error_of(response)["code"] == 20001
    assert http.get("/v1/Bindings").status_code == 404  # no short form on Twilio either


def test_other_accounts_see_nothing(twilio: V1, running: Running, account: Account) -> None:
    service = twilio.services.create(friendly_name="push")
    sid = register(running.database_url, account.sid, service.sid, "alice", "apn", "device")
    other = make_client(running.url, Account(*bootstrap.create_account(running.database_url))).conversations.v1
    with twilio_error(404, 20404):
        other.services(service.sid).bindings(sid).fetch()
    with twilio_error(404, 20404):
        other.services(service.sid).bindings(sid).delete()
    assert twilio.services(service.sid).bindings(sid).fetch().sid == sid
