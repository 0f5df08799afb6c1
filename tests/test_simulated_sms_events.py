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
