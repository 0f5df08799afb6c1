"""Webhooks of simulated SMS traffic (emulator mode), at a real receiver, on both engines: an
inbound message fires its post-events with `Source=SMS`, a receipt move fires `onDeliveryUpdated`."""

from __future__ import annotations

from tests.support.webhooks import Hooked, events

PHONE = "+15550007777"
NUMBER = "+15559990000"


def test_inbound_and_receipt_events(hooked: Hooked) -> None:
    hooked.configure(filters=["onMessageAdded", "onConversationAdded", "onParticipantAdded", "onDeliveryUpdated"])
    hooked.twilio.address_configurations.create(type="sms", address=NUMBER, auto_creation_enabled=True)
    response = hooked.http.post("/_chinwag/v1/Inbound", data={"From": PHONE, "To": NUMBER, "Body": "hi"})
    assert response.status_code == 201, response.text
    inbound = response.json()
    got = hooked.receiver.wait_for(3)
    assert events(got) == ["onConversationAdded", "onParticipantAdded", "onMessageAdded"], hooked.receiver.summary()
    assert {r.params["Source"] for r in got} == {"SMS"}
    added = got[2].params
    assert (added["MessageSid"], added["Author"], added["Body"]) == (inbound["sid"], PHONE, "hi")
    assert got[1].params["MessagingBinding.Address"] == PHONE

    # An agent answers; the phone's receipt moves and says so.
    conv = inbound["conversation_sid"]
    reply = hooked.twilio.conversations(conv).messages.create(author="agent", body="hello")
    phone = hooked.twilio.conversations(conv).participants.list()[0]
    moved = hooked.http.post(
        "/_chinwag/v1/Receipts", data={"MessageSid": reply.sid, "ParticipantSid": phone.sid, "Status": "delivered"}
    )
    assert moved.status_code == 200, moved.text
    delivery = hooked.receiver.wait_for(1, event="onDeliveryUpdated")[0].params
    assert delivery["DeliveryReceiptSid"] == moved.json()["sid"]
    assert (delivery["MessageSid"], delivery["ParticipantSid"], delivery["Status"], delivery["ErrorCode"]) == (
        reply.sid,
        phone.sid,
        "delivered",
        "0",
    )
    assert delivery["ConversationSid"] == conv


def test_auto_created_conversation_gets_the_configured_webhook(hooked: Hooked) -> None:
    """AutoCreation.Type webhook: the new conversation gets a conversation webhook to that URL, which
    takes the inbound message's own post-events (docs/decisions.md #117); the account has none."""
    url = hooked.receiver.url + "/auto"
    hooked.twilio.address_configurations.create(
        type="sms",
        address=NUMBER,
        auto_creation_enabled=True,
        auto_creation_type="webhook",
        auto_creation_webhook_url=url,
        auto_creation_webhook_method="post",
        auto_creation_webhook_filters=["onParticipantAdded", "onMessageAdded"],
    )
    response = hooked.http.post("/_chinwag/v1/Inbound", data={"From": PHONE, "To": NUMBER, "Body": "hi"})
    assert response.status_code == 201, response.text
    inbound = response.json()
    conv = inbound["conversation_sid"]
    hooks = hooked.twilio.conversations(conv).webhooks.list()
    assert [(h.target, h.conversation_sid) for h in hooks] == [("webhook", conv)]
    config = hooks[0].configuration
    assert (config["url"], config["method"].upper(), config["filters"]) == (
        url,
        "POST",
        ["onParticipantAdded", "onMessageAdded"],
    )

    got = hooked.receiver.wait_for(2)
    assert events(got) == ["onParticipantAdded", "onMessageAdded"], hooked.receiver.summary()
    assert {(r.path, r.method, r.params["Source"], r.params["ConversationSid"]) for r in got} == {
        ("/auto", "POST", "SMS", conv)
    }
    added = got[1].params
    assert (added["MessageSid"], added["Author"], added["Body"]) == (inbound["sid"], PHONE, "hi")

    # The next message from that phone goes to the same conversation, its one webhook, and no other.
    again = hooked.http.post("/_chinwag/v1/Inbound", data={"From": PHONE, "To": NUMBER, "Body": "again"}).json()
    assert again["conversation_sid"] == conv
    bodies = [r.params["Body"] for r in hooked.receiver.wait_for(2, event="onMessageAdded")]
    assert bodies == ["hi", "again"], hooked.receiver.summary()
    assert len(hooked.twilio.conversations(conv).webhooks.list()) == 1
    assert {d["url"] for d in hooked.settled(ConversationSid=conv)} == {url}


def test_auto_created_studio_conversation_gets_a_studio_webhook(hooked: Hooked) -> None:
    """AutoCreation.Type studio: a studio conversation webhook with the flow, in the configured
    service; its events are recorded as delivered to nothing (docs/decisions.md #64, #117)."""
    service = hooked.twilio.services.create(friendly_name="studio inbound")
    flow = "FW" + "ab" * 16
    hooked.twilio.address_configurations.create(
        type="whatsapp",
        address=NUMBER,
        auto_creation_enabled=True,
        auto_creation_type="studio",
        auto_creation_studio_flow_sid=flow,
        auto_creation_studio_retry_count=2,
        auto_creation_conversation_service_sid=service.sid,
    )
    response = hooked.http.post(
        "/_chinwag/v1/Inbound", data={"From": "whatsapp:" + PHONE, "To": "whatsapp:" + NUMBER, "Body": "hi"}
    )
    assert response.status_code == 201, response.text
    conv = response.json()["conversation_sid"]
    assert response.json()["chat_service_sid"] == service.sid
    assert [c.sid for c in hooked.twilio.services(service.sid).conversations.list()] == [conv]
    hooks = hooked.twilio.services(service.sid).conversations(conv).webhooks.list()
    assert [(h.target, h.configuration["flow_sid"]) for h in hooks] == [("studio", flow)]
    log = hooked.settled(ConversationSid=conv)
    assert [(d["event_type"], d["url"], d["status"]) for d in log] == [("onMessageAdded", "", "failed")]
    assert log[0]["request_params"]["Source"] == "WHATSAPP"
    assert hooked.receiver.summary() == []


def test_default_auto_creation_attaches_no_webhook(hooked: Hooked) -> None:
    hooked.twilio.address_configurations.create(
        type="sms", address=NUMBER, auto_creation_enabled=True, auto_creation_type="default"
    )
    response = hooked.http.post("/_chinwag/v1/Inbound", data={"From": PHONE, "To": NUMBER, "Body": "hi"})
    assert response.status_code == 201, response.text
    conv = response.json()["conversation_sid"]
    assert hooked.twilio.conversations(conv).webhooks.list() == []
    assert hooked.settled(ConversationSid=conv) == []
