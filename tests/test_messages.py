"""Conversation Messages through twilio-python, in both URL forms, on both engines
(Twilio's docs, decisions.md #12, #15, #16, #18)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from twilio.base.exceptions import TwilioException
from twilio.rest.conversations.v1 import V1

from tests.conftest import Account, Running, error_of, make_client
from tests.support.expect import twilio_error
from tests.support.scoped import Scoped
from tests.support.spec_shape import MESSAGE, assert_shape

IM_LIKE = "IM" + "0" * 32


def test_create_fetch_update_delete(where: Scoped) -> None:
    conv = where.conversations.create(unique_name="chat")
    messages = where.conversations("chat").messages
    msg = messages.create(body="Hello, world", attributes='{"importance": "high"}')
    assert msg.sid.startswith("IM") and len(msg.sid) == 34 and msg.sid[2:] == msg.sid[2:].lower()
    assert msg.conversation_sid == conv.sid
    assert msg.account_sid == conv.account_sid
    assert msg.index == 0
    assert msg.author == "system"
    assert msg.participant_sid is None
    assert msg.body == "Hello, world"
    assert json.loads(msg.attributes) == {"importance": "high"}
    assert msg.media is None and msg.delivery is None and msg.content_sid is None
    assert msg.date_created == msg.date_updated
    url = f"{where.prefix}/Conversations/{conv.sid}/Messages/{msg.sid}"
    assert msg.url == url
    assert msg.links == {"delivery_receipts": f"{url}/Receipts", "channel_metadata": f"{url}/ChannelMetadata"}

    for conv_ref in (conv.sid, "chat"):
        got = where.conversations(conv_ref).messages(msg.sid).fetch()
        assert (got.sid, got.index, got.body, got.url) == (msg.sid, 0, "Hello, world", url)

    updated = messages(msg.sid).update(body="Hello, everyone", attributes="[1]", author="editor")
    assert updated.sid == msg.sid and updated.index == 0
    assert (updated.body, updated.attributes, updated.author) == ("Hello, everyone", "[1]", "editor")
    assert updated.date_created == msg.date_created
    assert updated.date_updated >= msg.date_updated
    # Only what is sent changes.
    same = messages(msg.sid).update(attributes='{"x": 1}')
    assert (same.body, same.author, same.attributes) == ("Hello, everyone", "editor", '{"x": 1}')

    assert messages(msg.sid).delete() is True
    with twilio_error(404, 20404):
        messages(msg.sid).fetch()
    with twilio_error(404, 20404):
        messages(msg.sid).update(body="again")
    with twilio_error(404, 20404):
        messages(msg.sid).delete()
    assert messages.list() == []


def test_author_and_dates(where: Scoped) -> None:
    conv = where.conversations.create()
    messages = where.conversations(conv.sid).messages
    by_someone = messages.create(author="+15551234567", body="from a phone")
    assert by_someone.author == "+15551234567" and by_someone.participant_sid is None
    empty_author = messages.create(author="", body="anonymous")
    assert empty_author.author == "system"
    assert messages.create(author="a" * 256, body="long author").author == "a" * 256
    with twilio_error(400, 50310):
        messages.create(author="a" * 257, body="too long author")
    created = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    dated = messages.create(body="old", date_created=created)
    assert dated.date_created == created and dated.date_updated == created
    later = datetime(2021, 3, 5, tzinfo=UTC)
    assert messages(dated.sid).update(date_updated=later).date_updated == later
    with twilio_error(400, 20001):
        messages.create(body="bad date", date_created="tomorrow")


def test_participant_sid_is_the_authors_participant(where: Scoped) -> None:
    conv = where.conversations.create()
    other = where.conversations.create()
    amy = where.conversations(conv.sid).participants.create(identity="amy")
    where.conversations(other.sid).participants.create(identity="ben")
    messages = where.conversations(conv.sid).messages
    assert messages.create(author="amy", body="hi").participant_sid == amy.sid
    # An identity that takes part elsewhere, or nowhere, is just an author.
    assert messages.create(author="ben", body="hi").participant_sid is None
    assert messages.create(author="nobody", body="hi").participant_sid is None
    # Identities are case-sensitive.
    assert messages.create(author="Amy", body="hi").participant_sid is None
    # Changing the author changes the participant it points to.
    system = messages.create(body="announcement")
    assert messages(system.sid).update(author="amy").participant_sid == amy.sid
    assert messages(system.sid).update(author="ghost").participant_sid is None
    assert [m.participant_sid for m in messages.list()] == [amy.sid, None, None, None, None]


def test_indexes_start_at_zero_and_are_never_reused(where: Scoped) -> None:
    conv = where.conversations.create()
    messages = where.conversations(conv.sid).messages
    made = [messages.create(body=f"m{i}") for i in range(3)]
    assert [m.index for m in made] == [0, 1, 2]
    messages(made[2].sid).delete()
    assert messages.create(body="m3").index == 3
    messages(made[0].sid).delete()
    assert [m.index for m in messages.list()] == [1, 3]
    for m in messages.list():
        messages(m.sid).delete()
    assert messages.create(body="m4").index == 4
    # Each conversation counts on its own.
    other = where.conversations.create()
    assert where.conversations(other.sid).messages.create(body="first").index == 0


def test_body_is_required(where: Scoped) -> None:
    conv = where.conversations.create()
    messages = where.conversations(conv.sid).messages
    with twilio_error(400, 50503):
        messages.create()
    with twilio_error(400, 50503):
        messages.create(body="", author="amy")
    with twilio_error(400, 50503):
        messages.create(attributes="{}")
    assert messages.list() == []
    assert messages.create(body="now").index == 0


def test_body_and_attribute_limits(where: Scoped) -> None:
    conv = where.conversations.create()
    messages = where.conversations(conv.sid).messages
    body = "b" * (32 * 1024)
    assert messages.create(body=body).body == body
    with twilio_error(400, 50504):
        messages.create(body=body + "b")
    fits = json.dumps({"k": "v" * (4 * 1024 - 9)})
    assert len(fits) == 4096
    msg = messages.create(body="attrs", attributes=fits)
    assert msg.attributes == fits
    with twilio_error(400, 50303):
        messages.create(body="attrs", attributes=fits + " ")
    with twilio_error(400, 50304):
        messages.create(body="attrs", attributes="{nope}")
    with twilio_error(400, 50303):
        messages(msg.sid).update(attributes=fits + " ")
    with twilio_error(400, 50304):
        messages(msg.sid).update(attributes="]")
    with twilio_error(400, 50504):
        messages(msg.sid).update(body=body + "b")
    assert messages(msg.sid).fetch().attributes == fits
    assert [m.index for m in messages.list()] == [0, 1]
    # A refused message uses up no index.
    assert messages.create(body="next").index == 2


def test_closed_conversation_takes_no_messages(where: Scoped) -> None:
    conv = where.conversations.create()
    messages = where.conversations(conv.sid).messages
    msg = messages.create(body="before")
    where.conversations(conv.sid).update(state="closed")
    with twilio_error(409, 50377):
        messages.create(body="after")
    with twilio_error(409, 50377):
        messages(msg.sid).update(body="edited")
    (kept,) = messages.list()
    assert (kept.sid, kept.body) == (msg.sid, "before")


def test_order(where: Scoped, http: httpx.Client) -> None:
    conv = where.conversations.create()
    messages = where.conversations(conv.sid).messages
    made = [messages.create(body=f"m{i}").sid for i in range(4)]
    assert [m.sid for m in messages.list()] == made
    assert [m.sid for m in messages.list(order="asc")] == made
    assert [m.sid for m in messages.list(order="desc")] == made[::-1]
    with pytest.raises(TwilioException):
        messages.list(order="sideways")
    bad = http.get(f"{where.base}/Conversations/{conv.sid}/Messages", params={"Order": "sideways"})
    assert (bad.status_code, error_of(bad)["code"]) == (400, 20001)


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_paging(where: Scoped, http: httpx.Client, order: str) -> None:
    conv = where.conversations.create()
    messages = where.conversations(conv.sid).messages
    made = [messages.create(body=f"m{i}").sid for i in range(7)]
    expected = made if order == "asc" else made[::-1]
    assert [m.sid for m in messages.stream(order=order, page_size=3)] == expected
    first = messages.page(order=order, page_size=3)
    second = first.next_page()
    third = second.next_page()
    assert [[m.sid for m in p] for p in (first, second, third)] == [expected[:3], expected[3:6], expected[6:]]
    assert third.next_page() is None
    assert [m.sid for m in third.previous_page()] == expected[3:6]
    assert [m.sid for m in second.previous_page()] == expected[:3]

    list_url = f"{where.prefix}/Conversations/{conv.sid}/Messages"
    page = http.get(f"{where.base}/Conversations/{conv.sid}/Messages", params={"Order": order, "PageSize": 4}).json()
    assert set(page) == {"messages", "meta"} and page["meta"]["key"] == "messages"
    assert [m["sid"] for m in page["messages"]] == expected[:4]
    assert page["meta"]["first_page_url"] == f"{list_url}?Order={order}&PageSize=4&Page=0"
    next_url = page["meta"]["next_page_url"]
    assert next_url.startswith(f"{list_url}?Order={order}&PageSize=4&Page=1&PageToken=")
    # New and deleted messages do not disturb the walk.
    messages(expected[0]).delete()
    newest = messages.create(body="late").sid
    rest = http.get(next_url).json()
    tail = [*expected[4:], newest] if order == "asc" else expected[4:]
    assert [m["sid"] for m in rest["messages"]] == tail
    assert rest["meta"]["next_page_url"] is None
    back = http.get(rest["meta"]["previous_page_url"]).json()
    before = expected[1:4] if order == "asc" else [newest, *expected[1:4]]
    assert [m["sid"] for m in back["messages"]] == before
    # A token from one order is refused in the other.
    token = next_url.split("PageToken=")[1]
    other_order = "desc" if order == "asc" else "asc"
    foreign = http.get(
        f"{where.base}/Conversations/{conv.sid}/Messages", params={"Order": other_order, "PageToken": token}
    )
    assert (foreign.status_code, error_of(foreign)["code"]) == (400, 20001)


def test_messages_belong_to_their_conversation(where: Scoped, http: httpx.Client) -> None:
    first = where.conversations.create()
    second = where.conversations.create()
    msg = where.conversations(first.sid).messages.create(body="mine")
    with twilio_error(404, 20404):
        where.conversations(second.sid).messages(msg.sid).fetch()
    with twilio_error(404, 20404):
        where.conversations(second.sid).messages(msg.sid).delete()
    missing = http.get(f"{where.base}/Conversations/{first.sid}/Messages/{IM_LIKE}")
    body = error_of(missing)
    assert (missing.status_code, body["code"]) == (404, 20404)
    path = f"{where.base[3:]}/Conversations/{first.sid}/Messages/{IM_LIKE}"
    assert body["message"] == f"The requested resource {path} was not found"
    assert where.conversations(first.sid).messages(msg.sid).fetch().body == "mine"


def test_wire_shape(where: Scoped, http: httpx.Client) -> None:
    conv = http.post(f"{where.base}/Conversations", data={"UniqueName": "shape"}).json()["sid"]
    http.post(f"{where.base}/Conversations/{conv}/Participants", data={"Identity": "writer"})
    base = f"{where.base}/Conversations/shape/Messages"
    for data in ({"Body": "system says"}, {"Body": "writer says", "Author": "writer"}):
        made = http.post(base, data=data)
        assert made.status_code == 201, made.text
        assert_shape(made.json(), MESSAGE, where.form)
        sid = made.json()["sid"]
        fetched = http.get(f"{base}/{sid}")
        assert fetched.status_code == 200 and fetched.json() == made.json()
        updated = http.post(f"{base}/{sid}", data={"Attributes": '{"seen": true}'})
        assert updated.status_code == 200
        assert_shape(updated.json(), MESSAGE, where.form)
        assert updated.json()["attributes"] == '{"seen": true}'
    listed = http.get(base)
    assert listed.status_code == 200
    assert [m["index"] for m in listed.json()["messages"]] == [0, 1]
    for item in listed.json()["messages"]:
        assert_shape(item, MESSAGE, where.form)
    deleted = http.delete(f"{base}/{listed.json()['messages'][0]['sid']}")
    assert deleted.status_code == 204 and deleted.content == b""


def test_concurrent_posts_get_distinct_increasing_indexes(running: Running, account: Account, twilio: V1) -> None:
    conv = twilio.conversations.create().sid

    def post(n: int) -> int:
        client = make_client(running.url, account).conversations.v1
        index: int = client.conversations(conv).messages.create(body=f"m{n}").index
        return index

    with ThreadPoolExecutor(8) as pool:
        indexes = list(pool.map(post, range(40)))
    assert sorted(indexes) == list(range(40))
    listed = twilio.conversations(conv).messages.list(page_size=7)
    assert [m.index for m in listed] == list(range(40))
