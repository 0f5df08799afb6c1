"""UserConversations through twilio-python, both URL forms, both engines (seeds 000-004)."""

from __future__ import annotations

import httpx
import pytest
from twilio.rest.conversations.v1 import V1

from tests.conftest import Running, error_of
from tests.support.expect import twilio_error

UC_KEYS = {
    "account_sid",
    "chat_service_sid",
    "conversation_sid",
    "unread_messages_count",
    "last_read_message_index",
    "participant_sid",
    "user_sid",
    "friendly_name",
    "conversation_state",
    "timers",
    "attributes",
    "date_created",
    "date_updated",
    "created_by",
    "notification_level",
    "unique_name",
    "url",
    "links",
}


def scoped(twilio: V1, form: str):  # type: ignore[no-untyped-def]
    """(root, service_sid): the short-URL root or a new service's root."""
    if form == "short":
        return twilio, None
    service = twilio.services.create(friendly_name="scoped")
    return twilio.services(service.sid), service.sid


@pytest.mark.parametrize("form", ["short", "service"])
def test_list_fetch_update_delete(twilio: V1, running: Running, form: str) -> None:
    root, service_sid = scoped(twilio, form)
    conv = root.conversations.create(friendly_name="Support", unique_name="support-42", attributes='{"t": 1}')
    member = root.conversations(conv.sid).participants.create(identity="alice")
    for n in range(3):
        root.conversations(conv.sid).messages.create(author="bob", body=f"m{n}")

    listed = root.users("alice").user_conversations.list()
    assert [uc.conversation_sid for uc in listed] == [conv.sid]
    uc = listed[0]
    user = root.users("alice").fetch()
    prefix = f"{running.url}/v1" + ("" if service_sid is None else f"/Services/{service_sid}")
    assert uc.url == f"{prefix}/Users/{user.sid}/Conversations/{conv.sid}"
    assert uc.links == {
        "participant": f"{prefix}/Conversations/{conv.sid}/Participants/{member.sid}",
        "conversation": f"{prefix}/Conversations/{conv.sid}",
    }
    assert (uc.user_sid, uc.participant_sid, uc.chat_service_sid) == (user.sid, member.sid, conv.chat_service_sid)
    assert (uc.friendly_name, uc.unique_name, uc.attributes) == ("Support", "support-42", '{"t": 1}')
    assert (uc.conversation_state, uc.created_by, uc.notification_level) == ("active", "system", "default")
    # No read horizon yet: the count is undefined (decisions.md #8).
    assert uc.unread_messages_count is None and uc.last_read_message_index is None

    # Fetch by user SID or identity, conversation SID or unique name: the same record.
    for user_ref in (user.sid, "alice"):
        for conv_ref in (conv.sid, "support-42"):
            fetched = root.users(user_ref).user_conversations(conv_ref).fetch()
            assert (fetched.conversation_sid, fetched.participant_sid) == (conv.sid, member.sid)

    updated = (
        root.users("alice")
        .user_conversations("support-42")
        .update(last_read_message_index=0, notification_level="muted")
    )
    assert (updated.last_read_message_index, updated.unread_messages_count) == (0, 2)
    assert updated.notification_level == "muted"
    # The horizon is the participant's.
    assert root.conversations(conv.sid).participants(member.sid).fetch().last_read_message_index == 0

    assert root.users("alice").user_conversations(conv.sid).delete() is True
    assert root.users("alice").user_conversations.list() == []
    assert root.conversations(conv.sid).participants.list() == []
    assert len(root.conversations(conv.sid).messages.list()) == 3  # messages stay


def test_wire_keys(twilio: V1, http: httpx.Client) -> None:
    conv = twilio.conversations.create()
    twilio.conversations(conv.sid).participants.create(identity="k")
    body = http.get(f"/v1/Users/k/Conversations/{conv.sid}").json()
    assert set(body) == UC_KEYS
    listed = http.get("/v1/Users/k/Conversations").json()
    assert set(listed) == {"conversations", "meta"}
    assert listed["meta"]["key"] == "conversations"
    assert set(listed["conversations"][0]) == UC_KEYS


def test_unread_count_rules(twilio: V1) -> None:
    conv = twilio.conversations.create(unique_name="room")
    twilio.conversations(conv.sid).participants.create(identity="reader")
    messages = twilio.conversations(conv.sid).messages
    made = [messages.create(author="reader" if n % 2 else "other", body=str(n)) for n in range(6)]
    assert [m.index for m in made] == list(range(6))
    uc = twilio.users("reader").user_conversations("room")

    assert uc.update(last_read_message_index=2).unread_messages_count == 3  # own messages count too
    messages.create(body="new")
    assert uc.fetch().unread_messages_count == 4
    messages(made[4].sid).delete()  # a deleted message is no longer unread
    assert uc.fetch().unread_messages_count == 3
    messages(made[1].sid).delete()  # below the horizon: no change
    assert uc.fetch().unread_messages_count == 3
    assert uc.update(last_read_message_index=99).unread_messages_count == 0  # beyond the last index
    assert uc.update(last_read_message_index=-1).unread_messages_count == 5
    # Muting does not touch unread.
    muted = uc.update(notification_level="muted")
    assert (muted.notification_level, muted.unread_messages_count) == ("muted", 5)
    # The participant resource moves the same horizon.
    participant = twilio.conversations(conv.sid).participants(muted.participant_sid)
    participant.update(last_read_message_index=5)
    assert uc.fetch().unread_messages_count == 1


def test_unread_capped_at_1000(twilio: V1, http: httpx.Client) -> None:
    conv = twilio.conversations.create()
    twilio.conversations(conv.sid).participants.create(identity="busy")
    for n in range(1003):
        assert http.post(f"/v1/Conversations/{conv.sid}/Messages", data={"Body": str(n)}).status_code == 201
    uc = twilio.users("busy").user_conversations(conv.sid)
    assert uc.update(last_read_message_index=-1).unread_messages_count == 1000
    assert uc.update(last_read_message_index=1).unread_messages_count == 1000
    assert uc.update(last_read_message_index=3).unread_messages_count == 999


def test_clearing_the_horizon(twilio: V1, http: httpx.Client) -> None:
    conv = twilio.conversations.create()
    twilio.conversations(conv.sid).participants.create(identity="c")
    twilio.conversations(conv.sid).messages.create(body="x")
    url = f"/v1/Users/c/Conversations/{conv.sid}"
    assert http.post(url, data={"LastReadMessageIndex": "0"}).json()["unread_messages_count"] == 0
    # twilio-node sends null as an empty value; `null` is accepted too (decisions.md #11).
    for empty in ("", "null"):
        cleared = http.post(url, data={"LastReadMessageIndex": empty}).json()
        assert (cleared["last_read_message_index"], cleared["unread_messages_count"]) == (None, None)
        http.post(url, data={"LastReadMessageIndex": "0"})


def test_bad_input_changes_nothing(twilio: V1, http: httpx.Client) -> None:
    conv = twilio.conversations.create()
    twilio.conversations(conv.sid).participants.create(identity="d")
    uc = twilio.users("d").user_conversations(conv.sid)
    uc.update(last_read_message_index=0, notification_level="muted")
    with twilio_error(400, 50210):
        uc.update(notification_level="loud", last_read_message_index=5)
    url = f"/v1/Users/d/Conversations/{conv.sid}"
    response = http.post(url, data={"LastReadMessageIndex": "seven", "NotificationLevel": "default"})
    assert (response.status_code, error_of(response)["code"]) == (400, 50421)
    response = http.post(url, data={"LastReadTimestamp": "yesterday", "NotificationLevel": "default"})
    assert (response.status_code, error_of(response)["code"]) == (400, 20001)
    after = uc.fetch()
    assert (after.notification_level, after.last_read_message_index) == ("muted", 0)


def test_last_read_timestamp(twilio: V1) -> None:
    from datetime import UTC, datetime

    conv = twilio.conversations.create()
    member = twilio.conversations(conv.sid).participants.create(identity="t")
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    twilio.users("t").user_conversations(conv.sid).update(last_read_timestamp=when)
    assert twilio.conversations(conv.sid).participants(member.sid).fetch().last_read_timestamp == "2026-01-02T03:04:05Z"


def test_not_a_member_is_404(twilio: V1, http: httpx.Client) -> None:
    conv = twilio.conversations.create()
    twilio.users.create(identity="outsider")
    with twilio_error(404, 20404):
        twilio.users("outsider").user_conversations(conv.sid).fetch()
    with twilio_error(404, 20404):
        twilio.users("outsider").user_conversations(conv.sid).update(notification_level="muted")
    with twilio_error(404, 20404):
        twilio.users("outsider").user_conversations(conv.sid).delete()
    with twilio_error(404, 20404):
        twilio.users("nobody").user_conversations(conv.sid).fetch()
    missing = http.get("/v1/Users/nobody/Conversations")
    assert (missing.status_code, error_of(missing)["code"]) == (404, 20404)


def test_order_is_join_order_and_pages_are_stable(twilio: V1) -> None:
    convs = [twilio.conversations.create(friendly_name=f"c{n}") for n in range(7)]
    for conv in reversed(convs):  # join newest-created first
        twilio.conversations(conv.sid).participants.create(identity="walker")
    expected = [c.sid for c in reversed(convs)]
    seen = []
    for n, uc in enumerate(twilio.users("walker").user_conversations.stream(page_size=2)):
        seen.append(uc.conversation_sid)
        if n == 2:  # rows added and removed mid-walk: no duplicates, nothing existing skipped
            late = twilio.conversations.create(friendly_name="late")
            twilio.conversations(late.sid).participants.create(identity="walker")
            twilio.users("walker").user_conversations(expected[0]).delete()
            expected.append(late.sid)
    assert seen == expected


def test_closed_and_inactive_conversations_are_listed(twilio: V1) -> None:
    a = twilio.conversations.create()
    b = twilio.conversations.create()
    for conv in (a, b):
        twilio.conversations(conv.sid).participants.create(identity="s")
    twilio.conversations(a.sid).update(state="inactive")
    twilio.conversations(b.sid).update(state="closed")
    states = {uc.conversation_sid: uc.conversation_state for uc in twilio.users("s").user_conversations.list()}
    assert states == {a.sid: "inactive", b.sid: "closed"}
