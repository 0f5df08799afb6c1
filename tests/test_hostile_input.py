"""Hostile input, case by case (issue 13, "Bad input"): each gets Twilio's status and code, and
nothing is written (checked by listing or fetching after). Both engines; twilio-python where it can
send the case, raw HTTP where it cannot (bytes that are not UTF-8, hand-made bodies and headers).

The rulings are docs/decisions.md #39-#45.
"""

from __future__ import annotations

import base64
import json
import socket
from urllib.parse import quote, urlsplit

import httpx
import pytest
from twilio.rest.conversations.v1 import V1

from tests.conftest import Account, Running, error_of
from tests.support.expect import twilio_error

DEEP = "[" * 2000 + "]" * 2000
DEEP_OBJECT = '{"a":' * 600 + "1" + "}" * 600  # 600 deep, within 4 KiB (participants)
NOT_RFC_8259 = ["NaN", "[NaN]", "Infinity", "[Infinity]", "-Infinity", '{"x": -Infinity}', DEEP, DEEP_OBJECT]
BIG_NUMBER = "1" * 5000  # valid JSON: RFC 8259 sets no limit on a number's digits
LENIENT_INTEGERS = ["1_0", " 3", "3 ", "+3", "٣", "१", "\uff13", "0x1", "1.0", "1e1", "٣" * 30]
ROLE_LIKE = "RL" + "0" * 32
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def refused(response: httpx.Response, status: int, code: int) -> dict[str, object]:
    body = error_of(response)
    assert (response.status_code, body["code"]) == (status, code), response.text
    return body


def post_raw(http: httpx.Client, path: str, body: bytes) -> httpx.Response:
    return http.post(path, content=body, headers=FORM)


# --- Attributes: RFC 8259 exactly, depth-bounded -------------------------------------------------


def test_attributes_that_are_not_rfc_8259_json_are_refused_everywhere(twilio: V1) -> None:
    conv = twilio.conversations.create(unique_name="room")
    member = conv.participants.create(identity="member")
    for bad in NOT_RFC_8259:
        with twilio_error(400, 50304):
            twilio.users.create(identity="u", attributes=bad)
        with twilio_error(400, 50304):
            twilio.conversations.create(unique_name="c", attributes=bad)
        with twilio_error(400, 50304):
            conv.participants.create(identity="p", attributes=bad)
        with twilio_error(400, 50304):
            conv.messages.create(body="hi", attributes=bad)
        with twilio_error(400, 50304):
            twilio.users("member").update(attributes=bad)
        with twilio_error(400, 50304):
            conv.update(attributes=bad)
        with twilio_error(400, 50304):
            conv.participants(member.sid).update(attributes=bad)
    # Nothing was written: no user but the member, no other conversation, participant or message.
    assert [u.identity for u in twilio.users.list()] == ["member"]
    assert [c.sid for c in twilio.conversations.list()] == [conv.sid]
    assert [p.sid for p in conv.participants.list()] == [member.sid]
    assert conv.messages.list() == []
    assert twilio.users("member").fetch().attributes == "{}"
    assert conv.fetch().attributes == "{}"
    assert conv.participants(member.sid).fetch().attributes == "{}"


def test_deep_nesting_is_a_400_not_a_500_also_raw(http: httpx.Client) -> None:
    for deep in (DEEP, "[" * 16_000, '{"a":[' * 2500):  # all within the 16 KiB limit
        refused(http.post("/v1/Users", data={"Identity": "u", "Attributes": deep}), 400, 50304)
    assert http.get("/v1/Users").json()["users"] == []


def test_valid_json_is_accepted_however_big_its_numbers_or_strings_of_brackets(twilio: V1) -> None:
    conv = twilio.conversations.create()
    for attributes in (
        BIG_NUMBER,
        f'{{"n": {BIG_NUMBER}, "e": 1e400, "f": -0.5E-7}}',
        json.dumps({"s": "[" * 5000}),  # brackets inside a string do not nest
        "[" * 128 + "]" * 128,  # the deepest accepted (docs/decisions.md #40)
        '"\\ud83d\\udcac"',
    ):
        user = twilio.users.create(identity=f"u{len(twilio.users.list())}", attributes=attributes)
        assert twilio.users(user.sid).fetch().attributes == attributes
        if len(attributes) <= 4096:  # a message's limit
            assert conv.messages.create(body="x", attributes=attributes).attributes == attributes
    with twilio_error(400, 50304):
        twilio.users.create(identity="too-deep", attributes="[" * 129 + "]" * 129)


# --- Integers: ASCII digits only ------------------------------------------------------------------


def test_last_read_message_index_takes_ascii_integers_only(twilio: V1) -> None:
    conv = twilio.conversations.create()
    member = conv.participants.create(identity="reader")
    conv.messages.create(body="one")
    for bad in [*LENIENT_INTEGERS, "9" * 25, "1" * 5000]:
        with twilio_error(400, 50421):
            conv.participants(member.sid).update(last_read_message_index=bad)
        with twilio_error(400, 50421):
            twilio.users("reader").user_conversations(conv.sid).update(last_read_message_index=bad)
    assert conv.participants(member.sid).fetch().last_read_message_index is None
    assert conv.participants(member.sid).update(last_read_message_index="0").last_read_message_index == 0
    assert conv.participants(member.sid).update(last_read_message_index="-1").last_read_message_index == -1


def test_paging_integers_and_tokens_take_ascii_digits_only(twilio: V1, http: httpx.Client) -> None:
    for identity in ("a", "b", "c"):
        twilio.users.create(identity=identity)
    for bad in LENIENT_INTEGERS:
        refused(http.get("/v1/Users", params={"PageSize": bad}), 400, 20001)
        refused(http.get("/v1/Users", params={"Page": bad}), 400, 20001)
    next_url = http.get("/v1/Users?PageSize=1").json()["meta"]["next_page_url"]
    token = dict(pair.split("=") for pair in urlsplit(next_url).query.split("&"))["PageToken"]
    assert http.get("/v1/Users", params={"PageSize": 1, "PageToken": token}).status_code == 200
    # The same key in Arabic-Indic digits: int() reads the same number, the checksum matches.
    arabic = token[:2] + "".join(chr(0x660 + int(c)) if c.isdigit() else c for c in token[2:].split("_")[0])
    refused(http.get("/v1/Users", params={"PageSize": 1, "PageToken": arabic + "_" + token.split("_")[1]}), 400, 20001)


def test_durations_take_ascii_digits_only(twilio: V1) -> None:
    for bad in ("PT\u0661\u0660M", "PT\uff11\uff10M", "P\u0661D", "PT1_0M", "PT+1M"):
        with twilio_error(400, 50379):
            twilio.conversations.create(state="active", timers_inactive=bad)
        with twilio_error(400, 50380):
            twilio.conversations.create(state="active", timers_closed=bad)
    assert twilio.conversations.list() == []
    ok = twilio.conversations.create(state="active", timers_inactive="PT10M")
    assert ok.timers["date_inactive"] is not None


# --- Text that is not UTF-8 -----------------------------------------------------------------------


def test_form_bodies_that_are_not_utf8_are_refused(http: httpx.Client) -> None:
    for body in (b"Identity=%ff%fe", b"Identity=%fe%ff", b"Identity=\xff", b"Identity=a%e2%82", b"Identity=%ed%a0%80"):
        refused(post_raw(http, "/v1/Users", body), 400, 20001)
    assert http.get("/v1/Users").json()["users"] == []
    # Well-formed UTF-8, escaped or not, is taken as sent.
    assert post_raw(http, "/v1/Users", b"Identity=caf%C3%A9").json()["identity"] == "café"
    assert post_raw(http, "/v1/Users", "Identity=naïve".encode()).json()["identity"] == "naïve"


def test_query_strings_that_are_not_utf8_are_refused(http: httpx.Client, twilio: V1) -> None:
    user = twilio.users.create(identity="q")
    for path in ("/v1/Users", f"/v1/Users/{user.sid}", "/v1/Conversations", "/v1/Configuration"):
        refused(http.get(f"{path}?PageSize=5&x=%ff"), 400, 20001)
    refused(http.post(f"/v1/Users/{user.sid}?x=%ff%fe", data={"FriendlyName": "changed"}), 400, 20001)
    assert twilio.users(user.sid).fetch().friendly_name is None


def test_paths_that_are_not_utf8_are_refused(http: httpx.Client, running: Running) -> None:
    refused(http.get("/v1/Users/%ff%fe"), 400, 20001)
    refused(http.post("/v1/Users/%c3", data={"FriendlyName": "x"}), 400, 20001)
    refused(http.get("/v1/Conversations/%ff/Messages"), 400, 20001)
    # Raw bytes that are not UTF-8 (no client library sends them; a socket does). The HTTP server
    # (granian) refuses these itself, with an empty 400, before chinwag sees the request.
    host, port = urlsplit(running.url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(b"GET /v1/Users/\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    assert reply.split(b" ", 2)[1] == b"400", reply[:200]
    assert http.get("/v1/Users").json()["users"] == []


# --- Paths route on the raw path ------------------------------------------------------------------


@pytest.mark.parametrize("identity", ["team/ann", "a+b", "a b", "100%", "a?b", "a#b", "ü/..", "%2F"])
def test_identities_with_reserved_characters_round_trip(
    twilio: V1, http: httpx.Client, running: Running, identity: str
) -> None:
    user = twilio.users.create(identity=identity, friendly_name="before")
    path = quote(identity, safe="")  # what a client must send: the identity, percent-encoded whole
    assert twilio.users(path).fetch().sid == user.sid
    assert twilio.users(path).update(friendly_name="after").friendly_name == "after"
    convs = [twilio.conversations.create() for _ in range(3)]
    for conv in convs:
        conv.participants.create(identity=identity)
    # Paged one at a time: the paging URLs keep the escaped identity, so the SDK follows them back.
    paged = twilio.users(path).user_conversations.stream(page_size=1)
    assert [uc.conversation_sid for uc in paged] == [c.sid for c in convs]
    page = http.get(f"/v1/Users/{path}/Conversations", params={"PageSize": 1}).json()["meta"]
    assert page["url"].startswith(f"{running.url}/v1/Users/{path}/Conversations?")
    twilio.users(path).delete()
    assert twilio.users.list() == []


def test_plus_in_a_path_is_a_plus(twilio: V1, http: httpx.Client) -> None:
    plus = twilio.users.create(identity="a+b")
    space = twilio.users.create(identity="a b")
    assert http.get("/v1/Users/a+b").json()["sid"] == plus.sid
    assert http.get("/v1/Users/a%2Bb").json()["sid"] == plus.sid
    assert http.get("/v1/Users/a%20b").json()["sid"] == space.sid


def test_an_escaped_slash_is_not_a_separator(twilio: V1, http: httpx.Client) -> None:
    twilio.users.create(identity="team")
    conv = twilio.conversations.create()
    conv.participants.create(identity="team")
    # `/v1/Users/team/Conversations` is the user's conversations; with %2F it is one identity.
    assert http.get("/v1/Users/team/Conversations").status_code == 200
    refused(http.get("/v1/Users/team%2FConversations"), 404, 20404)
    refused(http.get("/v1%2FUsers"), 404, 20404)


# --- SID parameters: malformed is a 400, well-formed and unknown is the 404 -----------------------


def test_role_sid_parameters(twilio: V1) -> None:
    conv = twilio.conversations.create()
    member = conv.participants.create(identity="m")
    service_cfg = twilio.services(twilio.configuration().fetch().default_chat_service_sid).configuration()
    before = service_cfg.fetch()
    for bad, status, code in (
        ("admin", 400, 20001),
        ("RL123", 400, 20001),
        ("IS" + "0" * 32, 400, 20001),
        ("RL" + "g" * 32, 400, 20001),
        (ROLE_LIKE, 404, 50100),
    ):
        with twilio_error(status, code):
            twilio.users.create(identity="u", role_sid=bad)
        with twilio_error(status, code):
            twilio.users("m").update(role_sid=bad)
        with twilio_error(status, code):
            conv.participants.create(identity="p", role_sid=bad)
        with twilio_error(status, code):
            conv.participants(member.sid).update(role_sid=bad)
        for field in ("default_conversation_creator_role_sid", "default_conversation_role_sid"):
            with twilio_error(status, code):
                service_cfg.update(**{field: bad})
        with twilio_error(status, code):
            service_cfg.update(default_chat_service_role_sid=bad)
    assert [u.identity for u in twilio.users.list()] == ["m"]
    assert [p.identity for p in conv.participants.list()] == ["m"]
    after = service_cfg.fetch()
    assert (after.default_chat_service_role_sid, after.default_conversation_role_sid) == (
        before.default_chat_service_role_sid,
        before.default_conversation_role_sid,
    )


def test_a_malformed_sid_is_a_400_before_any_lookup(twilio: V1) -> None:
    cfg = twilio.services(twilio.configuration().fetch().default_chat_service_sid).configuration()
    # The first names nothing (a 404 on its own); the second is malformed: the 400 wins.
    with twilio_error(400, 20001, "DefaultChatServiceRoleSid"):
        cfg.update(default_conversation_creator_role_sid=ROLE_LIKE, default_chat_service_role_sid="admin")


def test_service_and_other_sid_parameters(twilio: V1) -> None:
    before = twilio.configuration().fetch().default_chat_service_sid
    with twilio_error(400, 20001):
        twilio.configuration().update(default_chat_service_sid="default")
    with twilio_error(404, 50050):
        twilio.configuration().update(default_chat_service_sid="IS" + "0" * 32)
    with twilio_error(400, 20001):
        twilio.configuration().update(default_messaging_service_sid="sms", default_chat_service_sid="IS" + "0" * 32)
    assert twilio.configuration().fetch().default_chat_service_sid == before
    conv = twilio.conversations.create()
    with twilio_error(400, 20001):
        twilio.conversations.create(messaging_service_sid="MG123")
    with twilio_error(400, 50510):  # Twilio's "Invalid message media SID"
        conv.messages.create(media_sid="picture.png")
    with twilio_error(400, 20001):
        conv.messages.create(content_sid="template")
    assert [c.sid for c in twilio.conversations.list()] == [conv.sid]
    assert conv.messages.list() == []


# --- Cases that already held (kept so they stay held) ---------------------------------------------


def test_nul_bytes_are_refused(twilio: V1, http: httpx.Client) -> None:
    for field in ("Identity", "FriendlyName", "Attributes"):
        data = {"Identity": "n", field: "a\x00b" if field != "Attributes" else '"a\\u0000b"\x00'}
        refused(http.post("/v1/Users", data=data), 400, 20001)
    refused(http.get("/v1/Users/a%00b"), 404, 20404)
    assert twilio.users.list() == []


def test_a_one_megabyte_identity(http: httpx.Client) -> None:
    refused(http.post("/v1/Users", data={"Identity": "x" * 1_000_000}), 400, 50207)
    refused(http.post("/v1/Users", data={"Identity": "x" * 1_100_000}), 413, 20413)
    refused(http.get("/v1/Users/" + "x" * 60_000), 404, 20404)
    assert http.get("/v1/Users").json()["users"] == []


def test_a_hundred_thousand_fields(http: httpx.Client) -> None:
    junk = b"&".join(b"F%d=v" % i for i in range(100_000))
    refused(post_raw(http, "/v1/Users", junk), 400, 20001)  # no Identity among them
    assert http.get("/v1/Users").json()["users"] == []
    created = post_raw(http, "/v1/Users", junk + b"&Identity=last")
    assert created.status_code == 201 and created.json()["identity"] == "last"  # unknown ones ignored
    assert [u["identity"] for u in http.get("/v1/Users").json()["users"]] == ["last"]


def test_repeated_parameters_take_the_first(http: httpx.Client) -> None:
    created = post_raw(http, "/v1/Users", b"Identity=first&Identity=second&Attributes=%5B1%5D&Attributes=NaN")
    assert created.status_code == 201, created.text
    assert (created.json()["identity"], created.json()["attributes"]) == ("first", "[1]")
    refused(post_raw(http, "/v1/Users", b"Identity=x&Attributes=NaN&Attributes=%5B1%5D"), 400, 50304)
    assert [u["identity"] for u in http.get("/v1/Users").json()["users"]] == ["first"]


SQL = ["' OR '1'='1", "x'; DROP TABLE users; --", '"; DELETE FROM participants; --', "\\'; --", "%' OR 1=1 --"]


def test_sql_looking_strings_are_plain_text(twilio: V1, http: httpx.Client) -> None:
    conv = twilio.conversations.create()
    for n, text in enumerate(SQL):
        user = twilio.users.create(identity=text, friendly_name=text)
        assert twilio.users(quote(text, safe="")).fetch().sid == user.sid
        conv.messages.create(author=text, body=text)
        refused(http.get("/v1/Users/" + quote(text + "x", safe="")), 404, 20404)
        listed = http.get("/v1/ParticipantConversations", params={"Identity": text})
        assert listed.status_code == 200 and listed.json()["conversations"] == []
        assert len(twilio.users.list()) == n + 1
    assert [m.body for m in conv.messages.list()] == SQL


def _basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


def malformed_authorizations(account: Account) -> list[str]:
    sid, token = account.sid, account.token
    return [
        "",
        "Basic",
        "Basic ==",
        "Bearer " + token,
        "Digest username=" + sid,
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()[:-2],  # truncated padding
        "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode() + "=",  # padding too much
        "Basic" + base64.b64encode(f"{sid}:{token}".encode()).decode(),  # no space
        "Basic " + base64.urlsafe_b64encode(b"\xfb\xff" + f"{sid}:{token}".encode()).decode(),
        _basic(f"{sid}{token}".encode()),  # no colon
        _basic(f":{token}".encode()),
        _basic(f"{sid}:".encode()),
        _basic(b":"),
        _basic(f"{sid}:{token}x".encode()),
        _basic(f"{sid}:{token[:-1]}".encode()),
        _basic(f"{sid}:{token.upper()}".encode()),
        _basic(f"{sid.lower()}:{token}".encode()),
        _basic(f"{sid[:-1]}:{token}".encode()),
        _basic(f" {sid}:{token}".encode()),
        _basic(f"{sid}:{token} ".encode()),
        _basic(f"{sid}\x00:{token}".encode()),
        _basic(f"{sid}:{token}\x00".encode()),
        _basic(b"\xff\xfe:\xff"),
        _basic(f"{sid}:{token}:{token}".encode()),
        _basic(("AC" + "0" * 32 + f":{token}").encode()),
        _basic(f"' OR '1'='1:{token}".encode()),
        _basic(b"x" * 6000),
        "Basic " + "A" * 6000,
    ]


def test_malformed_authorization_headers_are_401_and_write_nothing(
    running: Running, account: Account, http: httpx.Client
) -> None:
    headers = malformed_authorizations(account)
    assert len(headers) == 29
    for header in headers:
        response = httpx.post(
            running.url + "/v1/Users", headers={"Authorization": header, **FORM}, content=b"Identity=intruder"
        )
        refused(response, 401, 20003)
    assert http.get("/v1/Users").json()["users"] == []


def test_conversation_with_participants_json_is_rfc_8259(twilio: V1, http: httpx.Client) -> None:
    for bad in ('{"identity": "x", "n": NaN}', "[" * 2000 + "]" * 2000, '{"identity": "x"'):
        response = http.post("/v1/ConversationWithParticipants", data={"Participant": bad})
        refused(response, 400, 20001)
    assert twilio.conversations.list() == [] and twilio.users.list() == []


def test_webhook_deliveries_count_takes_the_one_integer_parser(http: httpx.Client) -> None:
    for bad in ("1" * 5000, "\u0663", " 3", "0", "1001"):
        refused(http.get("/_chinwag/v1/WebhookDeliveries", params={"Wait": "0", "Count": bad}), 400, 20001)
