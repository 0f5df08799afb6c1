"""Simulated SMS/WhatsApp in emulator mode: `POST /_chinwag/v1/Inbound` routes a phone's message
as Twilio would, `GET /_chinwag/v1/Outbound` shows what each phone would have received. The
conversations are read back through twilio-python, on both engines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from twilio.rest.conversations.v1 import V1

from chinwag import bootstrap
from tests.conftest import Account, Running, error_of, make_client

PHONE = "+15550007777"
NUMBER = "+15559990000"
OUTBOUND_KEYS = {"to", "from", "body", "media_url", "channel", "conversation_sid", "message_sid", "date_created"}


@pytest.fixture
def emu_account(emulator_running: Running) -> Account:
    return Account(*bootstrap.create_account(emulator_running.database_url))


@pytest.fixture
def emu_twilio(emulator_running: Running, emu_account: Account) -> V1:
    return make_client(emulator_running.url, emu_account).conversations.v1


@pytest.fixture
def emu_http(emulator_running: Running, emu_account: Account) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator_running.url, auth=(emu_account.sid, emu_account.token)) as client:
        yield client


def _inbound(http: httpx.Client, **data: Any) -> httpx.Response:
    return http.post("/_chinwag/v1/Inbound", data=data)


def test_inbound_to_the_conversation_holding_the_pair(emu_twilio: V1, emu_http: httpx.Client) -> None:
    conv = emu_twilio.conversations.create(friendly_name="support")
    phone = emu_twilio.conversations(conv.sid).participants.create(
        messaging_binding_address=PHONE, messaging_binding_proxy_address=NUMBER
    )
    other = emu_twilio.conversations(conv.sid).participants.create(
        messaging_binding_address="+15550008888", messaging_binding_proxy_address=NUMBER
    )
    response = _inbound(emu_http, From=PHONE, To=NUMBER, Body="hello from my phone")
    assert response.status_code == 201, response.text
    record = response.json()
    assert (record["conversation_sid"], record["author"], record["body"]) == (conv.sid, PHONE, "hello from my phone")
    assert record["participant_sid"] == phone.sid
    # The other phone gets it (a receipt, an outbound entry); the sender does not.
    assert record["delivery"]["total"] == 1
    listed = emu_twilio.conversations(conv.sid).messages.list()
    assert [(m.sid, m.author, m.participant_sid) for m in listed] == [(record["sid"], PHONE, phone.sid)]
    receipts = emu_twilio.conversations(conv.sid).messages(record["sid"]).delivery_receipts.list()
    assert [r.participant_sid for r in receipts] == [other.sid]
    assert emu_http.get("/_chinwag/v1/Outbound", params={"To": PHONE}).json()["messages"] == []
    sent = emu_http.get("/_chinwag/v1/Outbound", params={"To": "+15550008888"}).json()["messages"]
    assert [(m["from"], m["body"], m["message_sid"]) for m in sent] == [(NUMBER, "hello from my phone", record["sid"])]


def test_outbound_lists_what_each_phone_received_newest_first(emu_twilio: V1, emu_http: httpx.Client) -> None:
    conv = emu_twilio.conversations.create()
    emu_twilio.conversations(conv.sid).participants.create(identity="agent")
    emu_twilio.conversations(conv.sid).participants.create(
        messaging_binding_address=PHONE, messaging_binding_proxy_address=NUMBER
    )
    sent = [emu_twilio.conversations(conv.sid).messages.create(author="agent", body=f"n{n}") for n in range(3)]
    response = emu_http.get("/_chinwag/v1/Outbound", params={"To": PHONE, "PageSize": 2})
    assert response.status_code == 200
    body = response.json()
    assert [m["body"] for m in body["messages"]] == ["n2", "n1"]
    first = body["messages"][0]
    assert set(first) == {
        "to",
        "from",
        "body",
        "media_url",
        "channel",
        "conversation_sid",
        "message_sid",
        "date_created",
    }
    assert (first["to"], first["from"], first["channel"], first["conversation_sid"], first["message_sid"]) == (
        PHONE,
        NUMBER,
        "sms",
        conv.sid,
        sent[2].sid,
    )
    assert body["meta"]["key"] == "messages" and body["meta"]["page_size"] == 2
    following = emu_http.get(body["meta"]["next_page_url"]).json()
    assert [m["body"] for m in following["messages"]] == ["n0"]
    assert following["meta"]["next_page_url"] is None
    missing = emu_http.get("/_chinwag/v1/Outbound")
    assert missing.status_code == 400 and error_of(missing)["code"] == 20001


def test_inbound_creates_a_conversation_per_address_configuration(emu_twilio: V1, emu_http: httpx.Client) -> None:
    service = emu_twilio.services.create(friendly_name="inbound")
    emu_twilio.address_configurations.create(
        type="whatsapp",
        address=NUMBER,
        auto_creation_enabled=True,
        auto_creation_type="default",
        auto_creation_conversation_service_sid=service.sid,
    )
    response = _inbound(
        emu_http,
        From="whatsapp:" + PHONE,
        To="whatsapp:" + NUMBER,
        Body="hi",
        MediaUrl=["https://example.com/a.jpg"],
    )
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["author"] == "whatsapp:" + PHONE
    assert json.loads(record["attributes"]) == {"media_urls": ["https://example.com/a.jpg"]}
    conversations = emu_twilio.services(service.sid).conversations.list()
    assert [c.sid for c in conversations] == [record["conversation_sid"]]
    parts = emu_twilio.services(service.sid).conversations(record["conversation_sid"]).participants.list()
    assert [p.messaging_binding for p in parts] == [
        {"type": "whatsapp", "address": "whatsapp:" + PHONE, "proxy_address": "whatsapp:" + NUMBER}
    ]
    # The next message from that phone lands in the same conversation (Channel given, prefix added).
    again = _inbound(emu_http, From=PHONE, To=NUMBER, Body="again", Channel="whatsapp").json()
    assert again["conversation_sid"] == record["conversation_sid"] and again["index"] == 1
    assert len(emu_twilio.services(service.sid).conversations.list()) == 1


def test_unrouted_or_bad_inbound_creates_nothing(emu_twilio: V1, emu_http: httpx.Client) -> None:
    emu_twilio.address_configurations.create(type="sms", address="+15559990001")  # auto-creation off
    cases: list[tuple[dict[str, Any], int, int, str]] = [
        ({"From": PHONE, "To": NUMBER, "Body": "x"}, 404, 20404, "no sms address configuration"),
        ({"From": PHONE, "To": "+15559990001", "Body": "x"}, 404, 20404, "does not auto-create"),
        ({"To": NUMBER, "Body": "x"}, 400, 20001, "From"),
        ({"From": PHONE, "Body": "x"}, 400, 20001, "To"),
        ({"From": PHONE, "To": NUMBER}, 400, 20001, "Body"),
        ({"From": PHONE, "To": NUMBER, "Body": "x", "Channel": "fax"}, 400, 20001, "Channel"),
        ({"From": PHONE, "To": NUMBER, "Body": "x", "MediaUrl": "file:///etc/passwd"}, 400, 20001, "MediaUrl"),
    ]
    for data, status, code, words in cases:
        response = _inbound(emu_http, **data)
        assert response.status_code == status, (data, response.text)
        error = error_of(response)
        assert error["code"] == code and words in error["message"], error
    assert emu_twilio.conversations.list() == []


def test_inbound_is_404_outside_emulator_mode(http: httpx.Client) -> None:
    response = http.post("/_chinwag/v1/Inbound", data={"From": PHONE, "To": NUMBER, "Body": "x"})
    assert response.status_code == 404 and error_of(response)["code"] == 20404


def test_snapshot_and_reset_keep_receipts_and_configuration(emu_twilio: V1, emu_http: httpx.Client) -> None:
    conv = emu_twilio.conversations.create()
    phone = emu_twilio.conversations(conv.sid).participants.create(
        messaging_binding_address=PHONE, messaging_binding_proxy_address=NUMBER
    )
    first = emu_twilio.conversations(conv.sid).messages.create(author="agent", body="one")
    emu_twilio.address_configurations.create(type="sms", address=NUMBER)
    emu_twilio.credentials.create(type="fcm", secret="s")
    saved = emu_http.get("/_chinwag/v1/Snapshot").content
    assert emu_http.post("/_chinwag/v1/Reset").status_code in (200, 204)
    assert emu_twilio.address_configurations.list() == [] and emu_twilio.credentials.list() == []
    restored = emu_http.put("/_chinwag/v1/Snapshot", content=saved)
    assert restored.status_code in (200, 204), restored.text
    receipts = emu_twilio.conversations(conv.sid).messages(first.sid).delivery_receipts.list()
    assert [r.participant_sid for r in receipts] == [phone.sid]
    assert emu_twilio.conversations(conv.sid).messages(first.sid).fetch().delivery == first.delivery
    assert len(emu_twilio.address_configurations.list()) == 1 and len(emu_twilio.credentials.list()) == 1
    # The restored conversation still knows it has an SMS participant.
    assert emu_twilio.conversations(conv.sid).messages.create(body="two").delivery["total"] == 1
