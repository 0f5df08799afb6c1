"""Delivery receipts and each message's `delivery` summary, through twilio-python, both URL forms,
both engines. Receipts are moved with the emulator's `POST /_chinwag/v1/Receipts`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from twilio.rest.conversations.v1 import V1

from chinwag import bootstrap
from tests.conftest import Account, Running, error_of, make_client
from tests.support.expect import twilio_error
from tests.support.scoped import FORMS, Scoped, scoped

SMS_A = {"messaging_binding_address": "+15550000001", "messaging_binding_proxy_address": "+15559990000"}
SMS_B = {"messaging_binding_address": "+15550000002", "messaging_binding_proxy_address": "+15559990000"}
WHATSAPP = {
    "messaging_binding_address": "whatsapp:+15550000003",
    "messaging_binding_proxy_address": "whatsapp:+15559990000",
}


@pytest.fixture
def emu_account(emulator_running: Running) -> Account:
    sid, token = bootstrap.create_account(emulator_running.database_url)
    return Account(sid, token)


@pytest.fixture
def emu_twilio(emulator_running: Running, emu_account: Account) -> V1:
    return make_client(emulator_running.url, emu_account).conversations.v1


@pytest.fixture
def emu_http(emulator_running: Running, emu_account: Account) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator_running.url, auth=(emu_account.sid, emu_account.token)) as client:
        yield client


@pytest.fixture(params=FORMS)
def place(request: pytest.FixtureRequest, emu_twilio: V1, emulator_running: Running) -> Scoped:
    return scoped(emu_twilio, emulator_running.url, request.param)


def _move(http: httpx.Client, message_sid: str, participant_sid: str, status: str, **extra: str) -> dict[str, Any]:
    response = http.post(
        "/_chinwag/v1/Receipts",
        data={"MessageSid": message_sid, "ParticipantSid": participant_sid, "Status": status, **extra},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_chat_only_message_has_no_receipts(place: Scoped) -> None:
    conv = place.conversations.create()
    place.conversations(conv.sid).participants.create(identity="alice")
    message = place.conversations(conv.sid).messages.create(author="alice", body="hi")
    assert message.delivery is None
    assert place.conversations(conv.sid).messages(message.sid).delivery_receipts.list() == []


def test_receipts_for_each_binding_participant(place: Scoped, emu_http: httpx.Client) -> None:
    conv = place.conversations.create()
    parts = place.conversations(conv.sid).participants
    chat = parts.create(identity="agent")
    a = parts.create(**SMS_A)
    b = parts.create(**SMS_B)
    w = parts.create(**WHATSAPP)
    message = place.conversations(conv.sid).messages.create(author="agent", body="hello phones")
    summary = {"total": 3, "sent": "all", "delivered": "none", "read": "none", "failed": "none", "undelivered": "none"}
    assert message.delivery == summary

    receipts = place.conversations(conv.sid).messages(message.sid).delivery_receipts
    listed = receipts.list()
    assert [r.participant_sid for r in listed] == [a.sid, b.sid, w.sid]
    assert chat.sid not in {r.participant_sid for r in listed}
    for r in listed:
        assert re.fullmatch(r"DY[0-9a-f]{32}", r.sid)
        assert re.fullmatch(r"SM[0-9a-f]{32}", r.channel_message_sid)
        assert (r.status, r.error_code, r.message_sid, r.conversation_sid) == ("sent", 0, message.sid, conv.sid)
        assert isinstance(r.date_created, datetime)  # the SDK parsed Twilio's date format
        assert r.url == f"{place.prefix}/Conversations/{conv.sid}/Messages/{message.sid}/Receipts/{r.sid}"
        fetched = receipts(r.sid).fetch()
        assert (fetched.sid, fetched.status, fetched.participant_sid) == (r.sid, "sent", r.participant_sid)
    # Paging walks them all.
    assert [r.sid for r in receipts.list(page_size=1)] == [r.sid for r in listed]

    # The emulator moves them; the summary follows.
    moved = _move(emu_http, message.sid, a.sid, "read")
    assert (moved["sid"], moved["status"], moved["error_code"]) == (listed[0].sid, "read", 0)
    assert moved["chat_service_sid"] == place.service_sid
    _move(emu_http, message.sid, b.sid, "failed", ErrorCode="30003")
    fetched_message = place.conversations(conv.sid).messages(message.sid).fetch()
    assert fetched_message.delivery == {
        "total": 3,
        "sent": "some",
        "delivered": "some",
        "read": "some",
        "failed": "some",
        "undelivered": "none",
    }
    failed = receipts(listed[1].sid).fetch()
    assert (failed.status, failed.error_code) == ("failed", 30003)
    _move(emu_http, message.sid, b.sid, "undelivered")
    _move(emu_http, message.sid, w.sid, "delivered")
    assert place.conversations(conv.sid).messages(message.sid).fetch().delivery == {
        "total": 3,
        "sent": "all",
        "delivered": "some",
        "read": "some",
        "failed": "none",
        "undelivered": "some",
    }
    # The list shows the summary too.
    listed_message = place.conversations(conv.sid).messages.list()[0]
    assert listed_message.delivery["undelivered"] == "some"


def test_removed_participants_get_no_receipts(place: Scoped) -> None:
    conv = place.conversations.create()
    parts = place.conversations(conv.sid).participants
    a = parts.create(**SMS_A)
    parts.create(**SMS_B)
    parts(a.sid).delete()
    message = place.conversations(conv.sid).messages.create(body="after the removal")
    assert message.delivery is not None and message.delivery["total"] == 1
    receipts = place.conversations(conv.sid).messages(message.sid).delivery_receipts.list()
    assert len(receipts) == 1 and receipts[0].participant_sid != a.sid
    # With the last one gone the conversation is chat-only again.
    parts(receipts[0].participant_sid).delete()
    assert place.conversations(conv.sid).messages.create(body="nobody").delivery is None


def test_receipt_not_found(place: Scoped) -> None:
    conv = place.conversations.create()
    place.conversations(conv.sid).participants.create(**SMS_A)
    message = place.conversations(conv.sid).messages.create(body="x")
    receipts = place.conversations(conv.sid).messages(message.sid).delivery_receipts
    missing = "DY" + "0" * 32
    with twilio_error(404, 20404):
        receipts(missing).fetch()
    with twilio_error(404, 20404):
        place.conversations(conv.sid).messages("IM" + "0" * 32).delivery_receipts(receipts.list()[0].sid).fetch()


def test_emulator_receipt_moves_refuse_bad_input(emu_twilio: V1, emu_http: httpx.Client) -> None:
    conv = emu_twilio.conversations.create()
    a = emu_twilio.conversations(conv.sid).participants.create(**SMS_A)
    chat = emu_twilio.conversations(conv.sid).participants.create(identity="agent")
    message = emu_twilio.conversations(conv.sid).messages.create(body="x")
    base = {"MessageSid": message.sid, "ParticipantSid": a.sid, "Status": "delivered"}
    cases: list[tuple[dict[str, str], int, int]] = [
        ({**base, "Status": "lost"}, 400, 20001),
        ({**base, "Status": ""}, 400, 20001),
        ({**base, "ErrorCode": "abc"}, 400, 20001),
        ({**base, "ErrorCode": "-1"}, 400, 20001),
        ({**base, "ErrorCode": "1" * 5000}, 400, 20001),
        ({**base, "MessageSid": "nope"}, 400, 20001),
        ({k: v for k, v in base.items() if k != "ParticipantSid"}, 400, 20001),
        ({**base, "MessageSid": "IM" + "0" * 32}, 404, 20404),
        ({**base, "ParticipantSid": chat.sid}, 404, 20404),
    ]
    for data, status, code in cases:
        response = emu_http.post("/_chinwag/v1/Receipts", data=data)
        assert response.status_code == status, (data, response.text)
        assert error_of(response)["code"] == code
    # Nothing moved.
    receipt = emu_twilio.conversations(conv.sid).messages(message.sid).delivery_receipts.list()[0]
    assert (receipt.status, receipt.error_code) == ("sent", 0)
    assert emu_twilio.conversations(conv.sid).messages(message.sid).fetch().delivery["sent"] == "all"


def test_another_account_cannot_move_or_read_receipts(
    emu_twilio: V1, emu_http: httpx.Client, emulator_running: Running
) -> None:
    conv = emu_twilio.conversations.create()
    a = emu_twilio.conversations(conv.sid).participants.create(**SMS_A)
    message = emu_twilio.conversations(conv.sid).messages.create(body="mine")
    other_sid, other_token = bootstrap.create_account(emulator_running.database_url)
    with httpx.Client(base_url=emulator_running.url, auth=(other_sid, other_token)) as other:
        moved = other.post(
            "/_chinwag/v1/Receipts", data={"MessageSid": message.sid, "ParticipantSid": a.sid, "Status": "read"}
        )
        assert moved.status_code == 404 and error_of(moved)["code"] == 20404
        listed = other.get(f"/v1/Conversations/{conv.sid}/Messages/{message.sid}/Receipts")
        assert listed.status_code == 404
    assert emu_twilio.conversations(conv.sid).messages(message.sid).delivery_receipts.list()[0].status == "sent"


def test_emulator_routes_are_404_without_emulator_mode(http: httpx.Client) -> None:
    for method, path in (("POST", "/_chinwag/v1/Receipts"), ("GET", "/_chinwag/v1/Outbound?To=%2B1")):
        response = http.request(method, path, data={"Status": "read"} if method == "POST" else None)
        assert response.status_code == 404, response.text
        assert error_of(response)["code"] == 20404
