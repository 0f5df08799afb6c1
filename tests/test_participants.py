"""Conversation Participants through twilio-python, in both URL forms, on both engines
(Twilio's docs, decisions.md #5, #6, #11, #15, #16, #18)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
from twilio.base.exceptions import TwilioRestException
from twilio.rest.conversations.v1 import V1

from chinwag import bootstrap
from tests.conftest import Account, Running, error_of, make_client
from tests.support.expect import twilio_error
from tests.support.scoped import Scoped
from tests.support.spec_shape import PARTICIPANT, assert_shape

SMS = {"messaging_binding_address": "+15551230001", "messaging_binding_proxy_address": "+15559990001"}
MB_LIKE = "MB" + "0" * 32


def service_config(twilio: V1, where: Scoped):  # type: ignore[no-untyped-def]
    return twilio.services(where.service_sid).configuration().fetch()


def test_add_by_identity_creates_the_user(where: Scoped, twilio: V1) -> None:
    cfg = service_config(twilio, where)
    conv = where.conversations.create(unique_name="team")
    users = twilio.services(where.service_sid).users
    assert users.list() == []

    part = where.conversations("team").participants.create(identity="alice", attributes='{"seat": 4}')
    assert part.sid.startswith("MB") and len(part.sid) == 34 and part.sid[2:] == part.sid[2:].lower()
    assert part.conversation_sid == conv.sid
    assert part.account_sid == conv.account_sid
    assert part.identity == "alice"
    assert json.loads(part.attributes) == {"seat": 4}
    assert part.messaging_binding is None
    assert part.role_sid == cfg.default_conversation_role_sid
    assert part.last_read_message_index is None and part.last_read_timestamp is None
    assert part.date_created == part.date_updated
    assert part.url == f"{where.prefix}/Conversations/{conv.sid}/Participants/{part.sid}"

    (user,) = users.list()
    assert user.identity == "alice"
    assert user.role_sid == cfg.default_chat_service_role_sid
    assert user.friendly_name is None and user.attributes == "{}"

    # Fetch by SID or identity, through the conversation's SID or unique name.
    for conv_ref in (conv.sid, "team"):
        for ref in (part.sid, "alice"):
            got = where.conversations(conv_ref).participants(ref).fetch()
            assert got.sid == part.sid and got.url == part.url


def test_add_an_existing_user(where: Scoped, twilio: V1) -> None:
    users = twilio.services(where.service_sid).users
    admin_role = next(
        r.sid for r in twilio.services(where.service_sid).roles.list() if r.friendly_name == "service admin"
    )
    bob = users.create(identity="bob", friendly_name="Bob", role_sid=admin_role)
    first = where.conversations.create()
    second = where.conversations.create()
    where.conversations(first.sid).participants.create(identity="bob")
    where.conversations(second.sid).participants.create(identity="bob")
    (same,) = users.list()
    assert (same.sid, same.role_sid, same.friendly_name) == (bob.sid, admin_role, "Bob")
    assert [c.conversation_sid for c in users("bob").user_conversations.list()] == [first.sid, second.sid]


def test_role_sid(where: Scoped, twilio: V1) -> None:
    roles = twilio.services(where.service_sid).roles
    moderator = roles.create(friendly_name="moderator", type="conversation", permission=["sendMessage"])
    service_role = roles.create(friendly_name="staff", type="service", permission=["createConversation"])
    conv = where.conversations.create()
    parts = where.conversations(conv.sid).participants
    assert parts.create(identity="mod", role_sid=moderator.sid).role_sid == moderator.sid
    with twilio_error(400, 50105):
        parts.create(identity="staff", role_sid=service_role.sid)
    with twilio_error(404, 50100):
        parts.create(identity="ghost", role_sid="RL" + "0" * 32)
    assert [p.identity for p in parts.list()] == ["mod"]
    # A refused participant creates no user either.
    assert [u.identity for u in twilio.services(where.service_sid).users.list()] == ["mod"]

    plain = parts.create(identity="plain")
    assert parts("plain").update(role_sid=moderator.sid).role_sid == moderator.sid
    with twilio_error(400, 50105):
        parts(plain.sid).update(role_sid=service_role.sid)
    assert parts(plain.sid).fetch().role_sid == moderator.sid

    # The service configuration's default conversation role applies to participants added later.
    twilio.services(where.service_sid).configuration().update(default_conversation_role_sid=moderator.sid)
    assert parts.create(identity="later").role_sid == moderator.sid


def test_roles_of_another_service_are_refused(where: Scoped, twilio: V1) -> None:
    other = twilio.services.create(friendly_name="other").sid
    foreign = twilio.services(other).roles.create(
        friendly_name="theirs", type="conversation", permission=["sendMessage"]
    )
    conv = where.conversations.create()
    with twilio_error(404, 50100):
        where.conversations(conv.sid).participants.create(identity="x", role_sid=foreign.sid)


def test_non_chat_participants(where: Scoped, twilio: V1) -> None:
    conv = where.conversations.create()
    parts = where.conversations(conv.sid).participants
    sms = parts.create(**SMS)
    assert sms.identity is None
    assert sms.messaging_binding == {"type": "sms", "address": "+15551230001", "proxy_address": "+15559990001"}
    assert sms.role_sid == service_config(twilio, where).default_conversation_role_sid
    whatsapp = parts.create(
        messaging_binding_address="whatsapp:+15551230002", messaging_binding_proxy_address="whatsapp:+15559990001"
    )
    assert whatsapp.identity is None
    assert whatsapp.messaging_binding == {
        "type": "whatsapp",
        "address": "whatsapp:+15551230002",
        "proxy_address": "whatsapp:+15559990001",
    }
    # Group MMS: members by address alone, the chat side by identity with a projected address.
    member = parts.create(messaging_binding_address="+15551230003")
    assert member.messaging_binding == {"type": "sms", "address": "+15551230003"}
    masked = parts.create(identity="agent", messaging_binding_projected_address="+15559990002")
    assert masked.identity == "agent"
    assert masked.messaging_binding == {"type": "sms", "projected_address": "+15559990002"}
    # Non-chat participants create no users; the masked chat participant does.
    assert [u.identity for u in twilio.services(where.service_sid).users.list()] == ["agent"]
    assert parts(sms.sid).fetch().messaging_binding == sms.messaging_binding
    assert [p.sid for p in parts.list()] == [sms.sid, whatsapp.sid, member.sid, masked.sid]


def test_kind_of_participant_errors(where: Scoped) -> None:
    conv = where.conversations.create()
    parts = where.conversations(conv.sid).participants
    with twilio_error(400, 50211):
        parts.create(identity="both", **SMS)
    with twilio_error(400, 50211):
        parts.create(identity="both", messaging_binding_address="+15551230009")
    with twilio_error(400, 20001):
        parts.create()
    with twilio_error(400, 20001):
        parts.create(attributes="{}")
    with twilio_error(400, 20001):
        parts.create(messaging_binding_proxy_address="+15559990001")
    assert parts.list() == []


def test_identity_validation(where: Scoped) -> None:
    conv = where.conversations.create()
    parts = where.conversations(conv.sid).participants
    assert parts.create(identity="i" * 256).identity == "i" * 256
    with twilio_error(400, 50207):
        parts.create(identity="i" * 257)
    with twilio_error(400, 50206):
        parts.create(identity="US" + "a" * 32)
    with twilio_error(400, 20001):
        parts.create(messaging_binding_address="+1" + "5" * 256, messaging_binding_proxy_address="+15559990001")


def test_duplicates(where: Scoped) -> None:
    first = where.conversations.create()
    second = where.conversations.create()
    a = where.conversations(first.sid).participants
    b = where.conversations(second.sid).participants
    a.create(identity="carol")
    with twilio_error(409, 50433):
        a.create(identity="carol")
    assert b.create(identity="carol").identity == "carol"  # one identity, many conversations
    assert a.create(identity="Carol").identity == "Carol"  # identities are case-sensitive

    a.create(**SMS)
    with twilio_error(409, 50416):
        a.create(**SMS)
    with twilio_error(409, 50416):
        b.create(**SMS)
    # The same address through another proxy, or another address through the same proxy, is fine.
    b.create(messaging_binding_address="+15551230001", messaging_binding_proxy_address="+15559990002")
    b.create(messaging_binding_address="+15551230002", messaging_binding_proxy_address="+15559990001")
    assert len(a.list()) == 3 and len(b.list()) == 3


def test_same_pair_in_another_account_is_fine(where: Scoped, running: Running) -> None:
    where.conversations(where.conversations.create().sid).participants.create(**SMS)
    other = make_client(running.url, Account(*bootstrap.create_account(running.database_url))).conversations.v1
    conv = other.conversations.create()
    assert (
        other.conversations(conv.sid).participants.create(**SMS).messaging_binding["address"]
        == SMS["messaging_binding_address"]
    )


def test_closed_conversation_takes_no_participants(where: Scoped) -> None:
    conv = where.conversations.create()
    existing = where.conversations(conv.sid).participants.create(identity="dan")
    where.conversations(conv.sid).update(state="closed")
    with twilio_error(409, 50377):
        where.conversations(conv.sid).participants.create(identity="erin")
    with twilio_error(409, 50377):
        where.conversations(conv.sid).participants.create(**SMS)
    assert [p.sid for p in where.conversations(conv.sid).participants.list()] == [existing.sid]


def test_attributes_limits(where: Scoped) -> None:
    conv = where.conversations.create()
    parts = where.conversations(conv.sid).participants
    fits = json.dumps({"k": "v" * (4 * 1024 - 9)})
    assert len(fits) == 4096
    part = parts.create(identity="big", attributes=fits)
    assert part.attributes == fits
    with twilio_error(400, 50303):
        parts.create(identity="bigger", attributes=fits + " ")
    with twilio_error(400, 50304):
        parts.create(identity="broken", attributes="{'single': 'quotes'}")
    with twilio_error(400, 50303):
        parts(part.sid).update(attributes=fits + " ")
    with twilio_error(400, 50304):
        parts(part.sid).update(attributes="{")
    assert parts(part.sid).fetch().attributes == fits
    assert parts(part.sid).update(attributes="[true]").attributes == "[true]"
    assert parts(part.sid).update(attributes="").attributes == "{}"
    assert [p.identity for p in parts.list()] == ["big"]


def test_update_fields(where: Scoped, http: httpx.Client) -> None:
    conv = where.conversations.create()
    parts = where.conversations(conv.sid).participants
    part = parts.create(identity="fay", date_created=datetime(2022, 5, 1, tzinfo=UTC))
    assert part.date_created == datetime(2022, 5, 1, tzinfo=UTC)
    for body in ("one", "two", "three"):
        where.conversations(conv.sid).messages.create(body=body)

    read = parts("fay").update(last_read_message_index=1, last_read_timestamp="2024-02-03T04:05:06Z")
    assert read.last_read_message_index == 1
    assert read.last_read_timestamp == "2024-02-03T04:05:06Z"
    assert read.date_updated > part.date_updated
    fetched = parts(part.sid).fetch()
    assert (fetched.last_read_message_index, fetched.last_read_timestamp) == (1, "2024-02-03T04:05:06Z")

    # Sending only one of them leaves the other alone.
    assert parts(part.sid).update(last_read_message_index=2).last_read_timestamp == "2024-02-03T04:05:06Z"
    assert parts(part.sid).update(attributes='{"a": 1}').last_read_message_index == 2
    # An empty LastReadMessageIndex clears it (decisions.md #11).
    cleared = parts(part.sid).update(last_read_message_index="")
    assert cleared.last_read_message_index is None
    assert cleared.last_read_timestamp == "2024-02-03T04:05:06Z"
    raw = http.post(
        f"{where.base}/Conversations/{conv.sid}/Participants/{part.sid}",
        data={"LastReadMessageIndex": "0", "LastReadTimestamp": ""},
    )
    assert raw.status_code == 200
    assert (raw.json()["last_read_message_index"], raw.json()["last_read_timestamp"]) == (0, None)

    with twilio_error(400, 50421):
        parts(part.sid).update(last_read_message_index="first")
    with twilio_error(400, 20001):
        parts(part.sid).update(last_read_timestamp="noon")
    assert parts(part.sid).fetch().last_read_message_index == 0

    dated = parts(part.sid).update(
        date_created=datetime(2020, 1, 1, tzinfo=UTC), date_updated=datetime(2020, 2, 2, tzinfo=UTC)
    )
    assert (dated.date_created, dated.date_updated) == (
        datetime(2020, 1, 1, tzinfo=UTC),
        datetime(2020, 2, 2, tzinfo=UTC),
    )
    assert dated.identity == "fay"


def test_binding_updates(where: Scoped) -> None:
    conv = where.conversations.create()
    parts = where.conversations(conv.sid).participants
    sms = parts.create(**SMS)
    moved = parts(sms.sid).update(messaging_binding_proxy_address="+15559990005")
    assert moved.messaging_binding == {"type": "sms", "address": "+15551230001", "proxy_address": "+15559990005"}
    # The old pair is free, the new one taken.
    other = where.conversations.create()
    where.conversations(other.sid).participants.create(**SMS)
    with twilio_error(409, 50416):
        where.conversations(other.sid).participants.create(
            messaging_binding_address="+15551230001", messaging_binding_proxy_address="+15559990005"
        )
    with twilio_error(409, 50416):
        parts(sms.sid).update(messaging_binding_proxy_address="+15559990001")
    assert parts(sms.sid).fetch().messaging_binding["proxy_address"] == "+15559990005"
    # The literal null removes a binding field.
    removed = parts(sms.sid).update(messaging_binding_proxy_address="null")
    assert removed.messaging_binding == {"type": "sms", "address": "+15551230001"}
    chat = parts.create(identity="hal")
    with twilio_error(400, 50441):
        parts(chat.sid).update(messaging_binding_proxy_address="+15559990009")
    assert parts(chat.sid).fetch().messaging_binding is None


def test_delete(where: Scoped, twilio: V1) -> None:
    conv = where.conversations.create(unique_name="leaving")
    parts = where.conversations("leaving").participants
    ivy = parts.create(identity="ivy")
    sms = parts.create(**SMS)
    where.conversations(conv.sid).messages.create(author="ivy", body="bye all")
    assert parts("ivy").delete() is True
    assert parts(sms.sid).delete() is True
    for ref in (ivy.sid, "ivy", sms.sid):
        with twilio_error(404, 20404):
            parts(ref).fetch()
        with twilio_error(404, 20404):
            parts(ref).delete()
    with twilio_error(404, 20404):
        parts(ivy.sid).update(attributes="{}")
    assert parts.list() == []
    # The user stays, and so does the message, author unchanged.
    assert twilio.services(where.service_sid).users("ivy").fetch().identity == "ivy"
    (msg,) = where.conversations(conv.sid).messages.list()
    assert (msg.author, msg.body) == ("ivy", "bye all")
    # The identity can join again, and the pair is free.
    assert parts.create(identity="ivy").sid != ivy.sid
    assert parts.create(**SMS).sid != sms.sid


def test_deleting_a_user_removes_their_participants(where: Scoped, twilio: V1) -> None:
    users = twilio.services(where.service_sid).users
    first = where.conversations.create()
    second = where.conversations.create()
    where.conversations(first.sid).participants.create(identity="jon")
    keep = where.conversations(first.sid).participants.create(identity="kim")
    where.conversations(second.sid).participants.create(identity="jon")
    where.conversations(first.sid).messages.create(author="jon", body="from jon")
    assert users("jon").delete() is True
    assert [p.sid for p in where.conversations(first.sid).participants.list()] == [keep.sid]
    assert where.conversations(second.sid).participants.list() == []
    with twilio_error(404, 20404):
        where.conversations(first.sid).participants("jon").fetch()
    (msg,) = where.conversations(first.sid).messages.list()
    assert (msg.author, msg.body) == ("jon", "from jon")
    # Joining again creates a new user.
    where.conversations(second.sid).participants.create(identity="jon")
    assert users("jon").fetch().identity == "jon"


def test_participants_belong_to_their_conversation(where: Scoped, http: httpx.Client) -> None:
    first = where.conversations.create()
    second = where.conversations.create()
    part = where.conversations(first.sid).participants.create(identity="lea")
    with twilio_error(404, 20404):
        where.conversations(second.sid).participants(part.sid).fetch()
    with twilio_error(404, 20404):
        where.conversations(second.sid).participants("lea").delete()
    with twilio_error(404, 20404):
        where.conversations(first.sid).participants(MB_LIKE).fetch()
    missing = http.get(f"{where.base}/Conversations/{first.sid}/Participants/{MB_LIKE}")
    body = error_of(missing)
    assert (missing.status_code, body["code"]) == (404, 20404)
    assert (
        body["message"]
        == f"The requested resource {where.base[3:]}/Conversations/{first.sid}/Participants/{MB_LIKE} was not found"
    )


def test_wire_shape(where: Scoped, http: httpx.Client) -> None:
    conv = http.post(f"{where.base}/Conversations", data={}).json()["sid"]
    base = f"{where.base}/Conversations/{conv}/Participants"
    chat = http.post(base, data={"Identity": "shape"})
    assert chat.status_code == 201, chat.text
    sms = http.post(
        base, data={"MessagingBinding.Address": "+15550000001", "MessagingBinding.ProxyAddress": "+15550000002"}
    )
    assert sms.status_code == 201, sms.text
    for made in (chat, sms):
        assert_shape(made.json(), PARTICIPANT, where.form)
        fetched = http.get(f"{base}/{made.json()['sid']}")
        assert fetched.status_code == 200 and fetched.json() == made.json()
        updated = http.post(f"{base}/{made.json()['sid']}", data={"Attributes": "{}"})
        assert updated.status_code == 200
        assert_shape(updated.json(), PARTICIPANT, where.form)
    assert chat.json()["messaging_binding"] is None
    assert sms.json()["identity"] is None
    listed = http.get(base)
    assert listed.status_code == 200
    assert set(listed.json()) == {"participants", "meta"} and listed.json()["meta"]["key"] == "participants"
    for item in listed.json()["participants"]:
        assert_shape(item, PARTICIPANT, where.form)
    deleted = http.delete(f"{base}/shape")
    assert deleted.status_code == 204 and deleted.content == b""


def test_paging(where: Scoped, http: httpx.Client) -> None:
    conv = where.conversations.create()
    parts = where.conversations(conv.sid).participants
    made = [parts.create(identity=f"p{i:02d}").sid for i in range(7)]
    assert [p.sid for p in parts.stream(page_size=2)] == made
    assert [p.sid for p in parts.list(limit=3)] == made[:3]
    first = parts.page(page_size=3)
    second = first.next_page()
    assert [p.sid for p in second] == made[3:6]
    assert [p.sid for p in second.next_page()] == made[6:]
    assert second.next_page().next_page() is None
    assert [p.sid for p in second.previous_page()] == made[:3]

    page = http.get(f"{where.base}/Conversations/{conv.sid}/Participants", params={"PageSize": 4}).json()
    assert page["meta"]["first_page_url"] == f"{where.prefix}/Conversations/{conv.sid}/Participants?PageSize=4&Page=0"
    next_url = page["meta"]["next_page_url"]
    assert next_url.startswith(f"{where.prefix}/Conversations/{conv.sid}/Participants?")
    # A participant removed from an earlier page does not shift the next one.
    parts(made[0]).delete()
    rest = http.get(next_url).json()
    assert [p["sid"] for p in rest["participants"]] == made[4:]
    assert rest["meta"]["next_page_url"] is None
    # The token belongs to this conversation's list.
    other = where.conversations.create()
    token = next_url.split("PageToken=")[1]
    foreign = http.get(f"{where.base}/Conversations/{other.sid}/Participants", params={"PageToken": token})
    assert (foreign.status_code, error_of(foreign)["code"]) == (400, 20001)


def test_identities_that_start_like_a_sid(where: Scoped) -> None:
    conv = where.conversations.create()
    parts = where.conversations(conv.sid).participants
    for identity in ("MBappe", "MB" + "0" * 31, "MB" + "0" * 32, "CH-support"):
        made = parts.create(identity=identity)
        assert parts(identity).fetch().sid == made.sid
        assert parts(identity).update(attributes='{"ok": true}').sid == made.sid
        assert parts(identity).delete() is True
    assert parts.list() == []


def test_concurrent_adds_of_one_identity(running: Running, account: Account, twilio: V1) -> None:
    conv = twilio.conversations.create().sid
    others = [twilio.conversations.create().sid for _ in range(6)]

    def attempt(conversation_sid: str) -> str:
        client = make_client(running.url, account).conversations.v1
        try:
            client.conversations(conversation_sid).participants.create(identity="racer")
            return "created"
        except TwilioRestException as exc:
            return f"{exc.status}/{exc.code}"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, [conv] * 12))
    assert outcomes.count("created") == 1
    assert set(outcomes) - {"created"} == {"409/50433"}
    # One new identity joining many conversations at once makes one user.
    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(attempt, others)) == ["created"] * 6
    (user,) = twilio.users.list()
    assert user.identity == "racer"
    assert len(twilio.users("racer").user_conversations.list()) == 7
