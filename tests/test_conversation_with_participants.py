"""ConversationWithParticipants through twilio-python, both URL forms, both engines: the
conversation and its participants in one transaction; any bad participant and nothing is made."""

from __future__ import annotations

import json
from typing import Any

import httpx
from twilio.rest.conversations.v1 import V1

from tests.conftest import error_of
from tests.support.expect import twilio_error
from tests.support.scoped import Scoped


def creator(twilio: V1, where: Scoped) -> Any:
    """`conversation_with_participants` of the URL form under test."""
    if where.form == "short":
        return twilio.conversation_with_participants
    return twilio.services(where.service_sid).conversation_with_participants


def p(**fields: Any) -> str:
    return json.dumps(fields)


def nothing_made(twilio: V1, where: Scoped, identities: list[str]) -> None:
    assert where.conversations.list() == []
    users = twilio.users if where.form == "short" else twilio.services(where.service_sid).users
    assert not {u.identity for u in users.list()} & set(identities)


def test_creates_the_conversation_and_its_participants(twilio: V1, where: Scoped) -> None:
    made = creator(twilio, where).create(
        friendly_name="support",
        unique_name=f"support-{where.form}",
        attributes='{"topic": "feedback"}',
        participant=[
            p(identity="alice"),
            p(identity="bob", attributes='{"vip": true}'),
            p(messaging_binding={"address": "+15558675310", "proxy_address": "+15017122661"}),
        ],
    )
    assert made.sid.startswith("CH") and made.chat_service_sid == where.service_sid
    assert (made.friendly_name, made.unique_name, made.state) == ("support", f"support-{where.form}", "active")
    assert made.url == f"{where.prefix}/Conversations/{made.sid}"
    assert made.links["participants"] == f"{where.prefix}/Conversations/{made.sid}/Participants"
    fetched = where.conversations(made.sid).fetch()
    assert (fetched.sid, fetched.attributes) == (made.sid, '{"topic": "feedback"}')
    members = where.conversations(made.sid).participants.list()
    assert [m.identity for m in members] == ["alice", "bob", None]
    assert json.loads(members[1].attributes) == {"vip": True}
    assert members[2].messaging_binding == {
        "type": "sms",
        "address": "+15558675310",
        "proxy_address": "+15017122661",
    }
    # The chat participants' users were made, and see the conversation.
    users = twilio.users if where.form == "short" else twilio.services(where.service_sid).users
    assert [uc.conversation_sid for uc in users("alice").user_conversations.list()] == [made.sid]


def test_without_participants_and_with_the_dotted_spelling(twilio: V1, where: Scoped) -> None:
    bare = creator(twilio, where).create(friendly_name="empty")
    assert where.conversations(bare.sid).participants.list() == []
    dotted = creator(twilio, where).create(
        participant=[p(**{"messaging_binding.address": "+15550001111", "messaging_binding.proxy_address": "+1555"})]
    )
    [member] = where.conversations(dotted.sid).participants.list()
    assert member.messaging_binding["address"] == "+15550001111"


def test_any_bad_participant_fails_the_whole_request(twilio: V1, where: Scoped) -> None:
    make = creator(twilio, where)
    cases: list[tuple[list[str], int, int, str]] = [
        ([p(identity="ann"), "not json"], 400, 20001, "Participant 2"),
        ([p(identity="ann"), "[1, 2]"], 400, 20001, "JSON object"),
        ([p(identity="ann"), p(identiy="typo")], 400, 20001, "unknown key identiy"),
        ([p(identity="ann"), p(identity=7)], 400, 20001, "must be a string"),
        ([p(identity="ann"), p(identity="x" * 257)], 400, 50207, "Participant 2"),
        ([p(identity="ann"), p(identity="US" + "0" * 32)], 400, 50206, "Participant 2"),
        ([p(identity="ann"), p()], 400, 20001, "Participant 2"),
        ([p(identity="ann"), p(identity="bob", messaging_binding={"address": "+1555"})], 400, 50211, ""),
        ([p(identity="ann"), p(identity="ann")], 409, 50433, "Participant 2"),
        ([p(identity="ann"), p(identity="bob", attributes="{nope")], 400, 50304, "Participant 2"),
        ([p(identity="ann"), p(identity="bob", role_sid="RL" + "0" * 32)], 404, 50100, "Participant 2"),
        ([p(identity="ann"), p(messaging_binding="+1555")], 400, 20001, "messaging_binding"),
        ([p(identity="ann"), p(identity="a\u0000b")], 400, 20001, "NUL"),
        ([p(identity="ann"), p(messaging_binding={"address": "+1\u0000"})], 400, 20001, "NUL"),
        ([p(identity="ann"), "[" * 5000 + "]" * 5000], 400, 20001, "Participant 2"),
        ([p(identity=f"u{n}") for n in range(11)], 400, 20001, "at most 10"),
    ]
    for values, status, code, message in cases:
        with twilio_error(status, code, message):
            make.create(friendly_name="doomed", unique_name=f"doomed-{where.form}", participant=values)
    # A participant that clashes with another conversation's address pair fails it too.
    pair = {"address": "+15559990000", "proxy_address": "+15017120000"}
    kept = make.create(participant=[p(messaging_binding=pair)])
    with twilio_error(409, 50416):
        make.create(unique_name=f"doomed-{where.form}", participant=[p(identity="ann"), p(messaging_binding=pair)])
    # A bad conversation parameter fails before any participant.
    with twilio_error(400, 50384):
        make.create(state="closed", participant=[p(identity="ann")])
    assert [c.sid for c in where.conversations.list()] == [kept.sid]
    users = twilio.users if where.form == "short" else twilio.services(where.service_sid).users
    assert not {u.identity for u in users.list()} & {"ann", "bob", "u0"}


def test_nothing_is_made_on_failure_raw(http: httpx.Client, twilio: V1, where: Scoped) -> None:
    """The form as a client without the SDK sends it (repeated `Participant`)."""
    response = http.post(
        f"{where.base}/ConversationWithParticipants",
        data={"FriendlyName": "raw", "Participant": [p(identity="zed"), p(identity="zed")]},
    )
    assert (response.status_code, error_of(response)["code"]) == (409, 50433)
    nothing_made(twilio, where, ["zed"])
    ok = http.post(
        f"{where.base}/ConversationWithParticipants",
        data={"FriendlyName": "raw", "Participant": [p(identity="zed"), p(identity="yan")]},
    )
    assert ok.status_code == 201, ok.text
    assert set(ok.json()["links"]) == {"participants", "messages", "webhooks"}
