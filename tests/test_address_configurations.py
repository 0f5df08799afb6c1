"""Address configurations (`/v1/Configuration/Addresses`) through twilio-python, on both engines."""

from __future__ import annotations

import re

import httpx
import pytest
from twilio.rest.conversations.v1 import V1

from chinwag import bootstrap
from tests.conftest import Account, Running, error_of, make_client
from tests.support.expect import twilio_error

PHONE = "+15550001111"


def test_create_fetch_list_update_delete(twilio: V1, running: Running) -> None:
    service = twilio.services.create(friendly_name="inbound")
    made = twilio.address_configurations.create(
        type="sms",
        address=PHONE,
        friendly_name="support line",
        auto_creation_enabled=True,
        auto_creation_type="webhook",
        auto_creation_conversation_service_sid=service.sid,
        auto_creation_webhook_url="https://example.com/hook",
        auto_creation_webhook_method="post",
        auto_creation_webhook_filters=["onParticipantAdded", "onMessageAdded"],
        address_country="us",
    )
    assert re.fullmatch(r"IG[0-9a-f]{32}", made.sid)
    assert (made.type, made.address, made.friendly_name, made.address_country) == ("sms", PHONE, "support line", "US")
    assert made.auto_creation == {
        "enabled": True,
        "type": "webhook",
        "conversation_service_sid": service.sid,
        "webhook_url": "https://example.com/hook",
        "webhook_method": "POST",
        "webhook_filters": ["onParticipantAdded", "onMessageAdded"],
    }
    assert made.url == f"{running.url}/v1/Configuration/Addresses/{made.sid}"

    fetched = twilio.address_configurations(made.sid).fetch()
    assert (fetched.sid, fetched.auto_creation, fetched.address) == (made.sid, made.auto_creation, PHONE)

    whatsapp = twilio.address_configurations.create(type="whatsapp", address="whatsapp:" + PHONE)
    assert whatsapp.auto_creation == {"enabled": False, "type": "default", "conversation_service_sid": None}
    assert [a.sid for a in twilio.address_configurations.list()] == [made.sid, whatsapp.sid]
    assert [a.sid for a in twilio.address_configurations.list(type="whatsapp")] == [whatsapp.sid]
    assert [a.sid for a in twilio.address_configurations.list(page_size=1)] == [made.sid, whatsapp.sid]

    # Update: to a studio flow; what is not sent stays.
    flow = "FW" + "1" * 32
    changed = twilio.address_configurations(made.sid).update(
        auto_creation_type="studio", auto_creation_studio_flow_sid=flow, auto_creation_studio_retry_count=2
    )
    assert changed.friendly_name == "support line"
    assert changed.auto_creation == {
        "enabled": True,
        "type": "studio",
        "conversation_service_sid": service.sid,
        "studio_flow_sid": flow,
        "studio_retry_count": 2,
    }
    back = twilio.address_configurations(made.sid).update(auto_creation_type="webhook", friendly_name="renamed")
    assert back.friendly_name == "renamed"
    assert back.auto_creation["webhook_url"] == "https://example.com/hook"  # kept while it was a studio one
    assert twilio.address_configurations(made.sid).fetch().auto_creation == back.auto_creation

    assert twilio.address_configurations(made.sid).delete() is True
    with twilio_error(404, 20404, f"/Configuration/Addresses/{made.sid}"):
        twilio.address_configurations(made.sid).fetch()
    with twilio_error(404, 20404):
        twilio.address_configurations(made.sid).update(friendly_name="x")
    with twilio_error(404, 20404):
        twilio.address_configurations(made.sid).delete()
    # The address is free again.
    assert twilio.address_configurations.create(type="sms", address=PHONE).address == PHONE


def test_one_configuration_per_type_and_address(twilio: V1) -> None:
    twilio.address_configurations.create(type="sms", address=PHONE)
    with twilio_error(409, 20409, "already exists"):
        twilio.address_configurations.create(type="sms", address=PHONE, friendly_name="again")
    # Another type of the same address is another configuration.
    assert twilio.address_configurations.create(type="whatsapp", address=PHONE).type == "whatsapp"
    assert len(twilio.address_configurations.list()) == 2


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        ({"Address": PHONE}, 20001, 400),
        ({"Type": "sms"}, 20001, 400),
        ({"Type": "fax", "Address": PHONE}, 20001, 400),
        ({"Type": "SMS", "Address": PHONE}, 20001, 400),
        ({"Type": "sms", "Address": "  "}, 20001, 400),
        ({"Type": "sms", "Address": "+1" * 200}, 20001, 400),
        ({"Type": "sms", "Address": PHONE, "FriendlyName": "n" * 257}, 50003, 400),
        ({"Type": "sms", "Address": PHONE, "AddressCountry": "USA"}, 20001, 400),
        ({"Type": "sms", "Address": PHONE, "AutoCreation.Enabled": "maybe"}, 20001, 400),
        ({"Type": "sms", "Address": PHONE, "AutoCreation.Type": "flex"}, 20001, 400),
        ({"Type": "sms", "Address": PHONE, "AutoCreation.ConversationServiceSid": "IS123"}, 20001, 400),
        ({"Type": "sms", "Address": PHONE, "AutoCreation.ConversationServiceSid": "IS" + "0" * 32}, 50050, 404),
        ({"Type": "sms", "Address": PHONE, "AutoCreation.WebhookUrl": "ftp://x"}, 20001, 400),
        # It becomes a conversation webhook's URL (docs/decisions.md #117): checked as one here.
        ({"Type": "sms", "Address": PHONE, "AutoCreation.WebhookUrl": "https://"}, 20001, 400),
        ({"Type": "sms", "Address": PHONE, "AutoCreation.WebhookUrl": "https://a b.example/x"}, 20001, 400),
        ({"Type": "sms", "Address": PHONE, "AutoCreation.WebhookMethod": "PUT"}, 20001, 400),
        ({"Type": "sms", "Address": PHONE, "AutoCreation.WebhookFilters": "onEverything"}, 20001, 400),
        ({"Type": "sms", "Address": PHONE, "AutoCreation.StudioFlowSid": "FW1"}, 20001, 400),
        ({"Type": "sms", "Address": PHONE, "AutoCreation.StudioRetryCount": "4"}, 20001, 400),
        ({"Type": "sms", "Address": PHONE, "AutoCreation.StudioRetryCount": "-1"}, 20001, 400),
        (
            {"Type": "sms", "Address": PHONE, "AutoCreation.Enabled": "true", "AutoCreation.Type": "webhook"},
            20001,
            400,
        ),
        (
            {"Type": "sms", "Address": PHONE, "AutoCreation.Enabled": "true", "AutoCreation.Type": "studio"},
            20001,
            400,
        ),
    ],
)
def test_bad_input_creates_nothing(http: httpx.Client, data: dict[str, str], code: int, status: int) -> None:
    response = http.post("/v1/Configuration/Addresses", data=data)
    assert response.status_code == status, response.text
    assert error_of(response)["code"] == code
    assert http.get("/v1/Configuration/Addresses").json()["address_configurations"] == []


def test_bad_update_changes_nothing(twilio: V1, http: httpx.Client) -> None:
    made = twilio.address_configurations.create(type="sms", address=PHONE, friendly_name="kept")
    for data in (
        {"FriendlyName": "x", "AutoCreation.Type": "nope"},
        {"FriendlyName": "x", "AutoCreation.Enabled": "true", "AutoCreation.Type": "webhook"},
        {"FriendlyName": "n" * 257},
    ):
        response = http.post(f"/v1/Configuration/Addresses/{made.sid}", data=data)
        assert response.status_code == 400, response.text
    fetched = twilio.address_configurations(made.sid).fetch()
    assert (fetched.friendly_name, fetched.auto_creation, fetched.date_updated) == (
        "kept",
        made.auto_creation,
        made.date_updated,
    )
    bad_filter = http.get("/v1/Configuration/Addresses", params={"Type": "fax"})
    assert bad_filter.status_code == 400 and error_of(bad_filter)["code"] == 20001


def test_other_accounts_see_nothing(twilio: V1, running: Running) -> None:
    made = twilio.address_configurations.create(type="sms", address=PHONE)
    other_sid, other_token = bootstrap.create_account(running.database_url)
    other = make_client(running.url, Account(other_sid, other_token)).conversations.v1
    assert other.address_configurations.list() == []
    with twilio_error(404, 20404):
        other.address_configurations(made.sid).fetch()
    with twilio_error(404, 20404):
        other.address_configurations(made.sid).update(friendly_name="mine now")
    with twilio_error(404, 20404):
        other.address_configurations(made.sid).delete()
    # The same address may be configured by another account.
    assert other.address_configurations.create(type="sms", address=PHONE).sid != made.sid
    assert twilio.address_configurations(made.sid).fetch().friendly_name is None
