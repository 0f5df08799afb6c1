"""Every REST change writes its realtime events (domain/sync_events.py), read back through
realtime/log.py from the server's own database, on both engines; and what an event carries is what
a Sync read of the same object answers (realtime/sync_reads.py)."""

from __future__ import annotations

import json

from twilio.rest.conversations.v1 import V1

from tests.conftest import Account, Running
from tests.support.realtime_log import Grant, events, newest, read_items, read_object
from tests.test_media import tenant, uploaded


def _kinds(evs: list) -> list[tuple[str, str | int | None]]:  # type: ignore[type-arg]
    return [(e.event_type, e.item_key if e.item_key is not None else e.item_index) for e in evs]


def test_a_message_post_writes_the_list_item_and_the_documents_last_message(
    twilio: V1, running: Running, account: Account
) -> None:
    conv = twilio.conversations.create(friendly_name="room")
    alice = conv.participants.create(identity="alice")
    mark = newest(running.database_url)
    sent = conv.messages.create(author="alice", body="hello", attributes='{"k": 1}')

    msgs = events(running.database_url, account.sid, f"{conv.sid}.msgs", mark)
    assert _kinds(msgs) == [("list_item_added", 0)]
    item = msgs[0].data
    assert item["sid"] == sent.sid and item["text"] == "hello" and item["author"] == "alice"
    assert item["memberSid"] == alice.sid and item["type"] == "text"
    assert json.loads(item["attributes"]) == {"k": 1}  # a JSON string, as the client wants
    assert item["timestamp"] == sent.date_created.strftime("%Y-%m-%dT%H:%M:%SZ")

    doc = events(running.database_url, account.sid, f"{conv.sid}.doc", mark)
    assert _kinds(doc) == [("document_updated", None)]
    assert doc[0].data["lastMessage"] == {"index": 0, "timestamp": item["timestamp"]}
    assert doc[0].data["messages"] == f"{conv.sid}.msgs" and doc[0].data["roster"] == f"{conv.sid}.roster"
    assert doc[0].data["friendlyName"] == "room"
    assert doc[0].id > msgs[0].id  # one INSERT, in the order given

    # The read answers what the event said, marked with the object's newest event id.
    grant = Grant(account.sid, "alice", conv.chat_service_sid)
    page = read_items(running.database_url, grant, f"{conv.sid}.msgs")
    assert [i["data"] for i in page["items"]] == [item]
    assert page["items"][0]["last_event_id"] == msgs[0].id and page["items"][0]["index"] == 0
    document = read_object(running.database_url, grant, f"{conv.sid}.doc")
    assert document["data"] == doc[0].data and document["last_event_id"] == doc[0].id


def test_message_update_and_removal(twilio: V1, running: Running, account: Account) -> None:
    conv = twilio.conversations.create()
    first = conv.messages.create(author="system", body="one")
    second = conv.messages.create(author="system", body="two")
    mark = newest(running.database_url)

    conv.messages(first.sid).update(body="one, edited")
    updated = events(running.database_url, account.sid, f"{conv.sid}.msgs", mark)
    assert _kinds(updated) == [("list_item_updated", 0)]
    assert updated[0].data["text"] == "one, edited" and updated[0].data["attributes"] == "{}"
    assert events(running.database_url, account.sid, f"{conv.sid}.doc", mark) == []  # lastMessage unchanged

    conv.messages(first.sid).delete()  # not the newest: the document stays
    assert _kinds(events(running.database_url, account.sid, f"{conv.sid}.msgs", updated[0].id)) == [
        ("list_item_removed", 0)
    ]
    assert events(running.database_url, account.sid, f"{conv.sid}.doc", mark) == []

    mark = newest(running.database_url)
    conv.messages(second.sid).delete()  # the newest and last: lastMessage goes
    doc = events(running.database_url, account.sid, f"{conv.sid}.doc", mark)
    assert _kinds(doc) == [("document_updated", None)] and "lastMessage" not in doc[0].data
    assert events(running.database_url, account.sid, f"{conv.sid}.msgs", mark)[0].data is None


def test_participants_fill_the_roster_and_the_users_conversations(
    twilio: V1, running: Running, account: Account
) -> None:
    conv = twilio.conversations.create()
    mark = newest(running.database_url)
    bob = conv.participants.create(identity="bob", attributes='{"role": "agent"}')
    user = twilio.users(bob.identity).fetch()
    roster = events(running.database_url, account.sid, f"{conv.sid}.roster", mark)
    assert _kinds(roster) == [("map_item_added", bob.sid)]
    assert roster[0].data["identity"] == "bob" and roster[0].data["type"] == "chat"
    assert json.loads(roster[0].data["attributes"]) == {"role": "agent"}
    assert roster[0].data["userInfo"] == f"{user.sid}.info"
    convs = events(running.database_url, account.sid, f"{user.sid}.convs", mark)
    assert _kinds(convs) == [("map_item_added", conv.sid)]
    assert convs[0].data["status"] == "joined" and convs[0].data["channel"] == f"{conv.sid}.doc"
    assert convs[0].data["notificationLevel"] == "default" and convs[0].data["lastConsumedMessageIndex"] is None

    # Attributes: the roster item only; the user's item did not change.
    mark = newest(running.database_url)
    conv.participants(bob.sid).update(attributes='{"role": "lead"}')
    assert _kinds(events(running.database_url, account.sid, f"{conv.sid}.roster", mark)) == [
        ("map_item_updated", bob.sid)
    ]
    assert events(running.database_url, account.sid, f"{user.sid}.convs", mark) == []

    # The read horizon and the notification level: both items.
    conv.messages.create(author="bob", body="hi")
    mark = newest(running.database_url)
    twilio.users(user.sid).user_conversations(conv.sid).update(last_read_message_index=0, notification_level="muted")
    convs = events(running.database_url, account.sid, f"{user.sid}.convs", mark)
    assert _kinds(convs) == [("map_item_updated", conv.sid)]
    assert convs[0].data["lastConsumedMessageIndex"] == 0 and convs[0].data["notificationLevel"] == "muted"
    roster = events(running.database_url, account.sid, f"{conv.sid}.roster", mark)
    assert roster[-1].data["lastConsumedMessageIndex"] == 0

    # The same horizon through the Participant resource.
    conv.messages.create(author="system", body="more")
    mark = newest(running.database_url)
    conv.participants(bob.sid).update(last_read_message_index=1)
    convs = events(running.database_url, account.sid, f"{user.sid}.convs", mark)
    assert _kinds(convs) == [("map_item_updated", conv.sid)] and convs[0].data["lastConsumedMessageIndex"] == 1
    mark = newest(running.database_url)
    conv.participants(bob.sid).delete()
    assert _kinds(events(running.database_url, account.sid, f"{conv.sid}.roster", mark)) == [
        ("map_item_removed", bob.sid)
    ]
    assert _kinds(events(running.database_url, account.sid, f"{user.sid}.convs", mark)) == [
        ("map_item_removed", conv.sid)
    ]


def test_leaving_through_user_conversations(twilio: V1, running: Running, account: Account) -> None:
    conv = twilio.conversations.create()
    carol = conv.participants.create(identity="carol")
    user = twilio.users("carol").fetch()
    mark = newest(running.database_url)
    twilio.users(user.sid).user_conversations(conv.sid).delete()
    assert _kinds(events(running.database_url, account.sid, f"{conv.sid}.roster", mark)) == [
        ("map_item_removed", carol.sid)
    ]
    assert _kinds(events(running.database_url, account.sid, f"{user.sid}.convs", mark)) == [
        ("map_item_removed", conv.sid)
    ]


def test_conversation_update_close_and_delete(twilio: V1, running: Running, account: Account) -> None:
    conv = twilio.conversations.create(friendly_name="before")
    conv.participants.create(identity="dan")
    dan = twilio.users("dan").fetch()
    conv.messages.create(author="dan", body="x")
    mark = newest(running.database_url)
    conv.update(friendly_name="after", attributes='{"topic": "billing"}')
    doc = events(running.database_url, account.sid, f"{conv.sid}.doc", mark)
    assert _kinds(doc) == [("document_updated", None)]
    data = doc[0].data
    assert data["friendlyName"] == "after" and data["attributes"] == {"topic": "billing"}
    assert data["lastMessage"]["index"] == 0 and data["state"]["current"] == "active"  # the whole document

    mark = newest(running.database_url)
    conv.update(state="closed")
    doc = events(running.database_url, account.sid, f"{conv.sid}.doc", mark)
    assert doc[-1].data["state"]["current"] == "closed" and doc[-1].data["friendlyName"] == "after"

    mark = newest(running.database_url)
    conv.delete()
    assert _kinds(events(running.database_url, account.sid, f"{conv.sid}.doc", mark)) == [("document_removed", None)]
    assert _kinds(events(running.database_url, account.sid, f"{conv.sid}.msgs", mark)) == [("list_removed", None)]
    assert _kinds(events(running.database_url, account.sid, f"{conv.sid}.roster", mark)) == [("map_removed", None)]
    assert _kinds(events(running.database_url, account.sid, f"{dan.sid}.convs", mark)) == [
        ("map_item_removed", conv.sid)
    ]


def test_user_info_and_user_delete(twilio: V1, running: Running, account: Account) -> None:
    user = twilio.users.create(identity="erin")
    conv = twilio.conversations.create()
    erin = conv.participants.create(identity="erin")
    mark = newest(running.database_url)
    twilio.users(user.sid).update(friendly_name="Erin")
    twilio.users(user.sid).update(attributes='{"team": 7}')
    twilio.users(user.sid).update(role_sid=user.role_sid)  # nothing the client sees changed
    info = events(running.database_url, account.sid, f"{user.sid}.info", mark)
    assert _kinds(info) == [("map_item_updated", "friendlyName"), ("map_item_updated", "attributes")]
    assert info[0].data == {"value": "Erin"} and info[1].data == {"value": '{"team": 7}'}

    grant = Grant(account.sid, "erin", conv.chat_service_sid)
    items = read_items(running.database_url, grant, f"{user.sid}.info")["items"]
    shown = {i["key"]: i["data"] for i in items}
    assert shown == {"attributes": {"value": '{"team": 7}'}, "friendlyName": {"value": "Erin"}}

    mark = newest(running.database_url)
    twilio.users(user.sid).delete()
    assert _kinds(events(running.database_url, account.sid, f"{conv.sid}.roster", mark)) == [
        ("map_item_removed", erin.sid)
    ]
    assert _kinds(events(running.database_url, account.sid, f"{user.sid}.convs", mark)) == [("map_removed", None)]
    assert _kinds(events(running.database_url, account.sid, f"{user.sid}.info", mark)) == [("map_removed", None)]


def test_conversation_with_participants(twilio: V1, running: Running, account: Account) -> None:
    mark = newest(running.database_url)
    conv = twilio.conversation_with_participants.create(
        friendly_name="cwp", participant=[json.dumps({"identity": "fay"}), json.dumps({"identity": "gus"})]
    )
    roster = events(running.database_url, account.sid, f"{conv.sid}.roster", mark)
    assert [e.data["identity"] for e in roster] == ["fay", "gus"]
    fay = twilio.users("fay").fetch()
    assert _kinds(events(running.database_url, account.sid, f"{fay.sid}.convs", mark)) == [("map_item_added", conv.sid)]


def test_another_accounts_events_are_not_replayed(twilio: V1, running: Running, account: Account) -> None:
    conv = twilio.conversations.create()
    conv.messages.create(author="system", body="secret")
    assert events(running.database_url, account.sid, f"{conv.sid}.msgs")
    assert events(running.database_url, "AC" + "0" * 32, f"{conv.sid}.msgs") == []


def test_a_message_with_media_is_a_media_item(twilio: V1, running: Running, account: Account) -> None:
    record = uploaded(running, tenant(running, account))  # an upload to the Media Content Service
    conv = twilio.conversations.create()
    conv.participants.create(identity="alice")
    mark = newest(running.database_url)
    conv.messages.create(author="alice", media_sid=record["sid"])
    item = events(running.database_url, account.sid, f"{conv.sid}.msgs", mark)[0].data
    assert item["type"] == "media" and item["text"] is None
    assert item["medias"] == [
        {
            "sid": record["sid"],
            "category": "media",
            "filename": "car.png",
            "contentType": "image/png",
            "size": record["size"],
        }
    ]
    grant = Grant(account.sid, "alice", conv.chat_service_sid)
    assert read_items(running.database_url, grant, f"{conv.sid}.msgs")["items"][0]["data"] == item
