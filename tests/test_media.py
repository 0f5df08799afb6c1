"""Media (chinwag/media/, domain/media.py) against a running `chinwag serve`, on both engines.

The Media Content Service has no Python client (Twilio's helper libraries do not cover it; its docs
use curl), so uploads, records, bytes and MediaSet go over raw HTTP here, as the JS client and curl
send them: a raw body, `X-Twilio-Token` or HTTP Basic. Messages with `MediaSid` go through
twilio-python. Access tokens are minted with twilio-python's `AccessToken`, so every refusal code
of domain/access_tokens.py is proven here through a real server too.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import ChatGrant
from twilio.jwt.client import ClientCapabilityToken
from twilio.rest.conversations.v1 import V1

from chinwag import bootstrap
from tests.conftest import Account, Running, error_of, make_client, serving
from tests.support.emulated import emulated
from tests.support.expect import twilio_error
from tests.support.scoped import Scoped

PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(2000)
RECORD_KEYS = {
    "sid",
    "account_sid",
    "service_sid",
    "channel_sid",
    "message_sid",
    "date_created",
    "date_upload_updated",
    "date_updated",
    "size",
    "content_type",
    "author",
    "url",
    "filename",
    "category",
    "is_multipart_upstream",
    "links",
}


@dataclass
class Tenant:
    account: Account
    key_sid: str
    secret: str
    service_sid: str  # the default service


def tenant(running: Running, account: Account) -> Tenant:
    key, secret = bootstrap.create_key(running.database_url, account.sid, "media")
    service = make_client(running.url, account).conversations.v1.configuration().fetch().default_chat_service_sid
    return Tenant(account, key, secret, service)


@pytest.fixture
def me(running: Running, account: Account) -> Tenant:
    return tenant(running, account)


def token(t: Tenant, identity: str = "alice", service: str | None = None, **kw: Any) -> str:
    made = AccessToken(t.account.sid, kw.pop("key", t.key_sid), kw.pop("secret", t.secret), identity=identity, **kw)
    made.add_grant(ChatGrant(service_sid=service or t.service_sid))
    return str(made.to_jwt())


def mcs(running: Running, service_sid: str, rest: str = "/Media") -> str:
    return f"{running.url}/_chinwag/mcs/v1/Services/{service_sid}{rest}"


def upload(
    running: Running,
    service_sid: str,
    *,
    auth: tuple[str, str] | None = None,
    tok: str | None = None,
    data: bytes = PNG,
    content_type: str = "image/png",
    params: dict[str, str] | None = None,
) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if tok is not None:
        headers["X-Twilio-Token"] = tok
    query = {"Filename": "car.png", "Category": "media"} if params is None else params
    return httpx.post(mcs(running, service_sid), params=query, content=data, headers=headers, auth=auth, timeout=30)


def uploaded(running: Running, t: Tenant, **kw: Any) -> dict[str, Any]:
    made = upload(running, t.service_sid, auth=(t.account.sid, t.account.token), **kw)
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


# --- uploads, records, bytes --------------------------------------------------------------------


def test_upload_with_account_credentials_then_record_and_bytes(running: Running, me: Tenant) -> None:
    creds = (me.account.sid, me.account.token)
    made = upload(running, me.service_sid, auth=creds)
    assert made.status_code == 201, made.text
    assert made.headers["access-control-allow-origin"] == "*"
    record = made.json()
    assert set(record) == RECORD_KEYS
    assert record["sid"].startswith("ME") and len(record["sid"]) == 34
    assert (record["account_sid"], record["service_sid"]) == (me.account.sid, me.service_sid)
    assert (record["size"], record["content_type"], record["filename"], record["category"]) == (
        len(PNG),
        "image/png",
        "car.png",
        "media",
    )
    assert (record["author"], record["channel_sid"], record["message_sid"]) == (None, None, None)
    assert record["url"] == mcs(running, me.service_sid, f"/Media/{record['sid']}")

    fetched = httpx.get(record["url"], auth=creds)
    assert fetched.status_code == 200
    assert {k: v for k, v in fetched.json().items() if k != "links"} == {
        k: v for k, v in record.items() if k != "links"
    }

    content = httpx.get(record["links"]["content"], auth=creds)
    assert content.status_code == 200 and content.content == PNG
    assert content.headers["content-type"] == "image/png"
    assert content.headers["x-content-type-options"] == "nosniff"
    # No credentials: refused; the temporary URL needs none.
    assert error_of(httpx.get(record["links"]["content"]))["code"] == 20003
    direct = httpx.get(record["links"]["content_direct_temporary"])
    assert direct.status_code == 200 and direct.content == PNG
    tampered = record["links"]["content_direct_temporary"].replace("Signature=", "Signature=0")
    assert (httpx.get(tampered).status_code, error_of(httpx.get(tampered))["code"]) == (403, 20003)

    # An API key authenticates as its account, as on Twilio's MCS.
    by_key = upload(running, me.service_sid, auth=(me.key_sid, me.secret), data=b"hello", content_type="text/plain")
    assert by_key.status_code == 201, by_key.text
    assert httpx.get(by_key.json()["links"]["content"], auth=(me.key_sid, me.secret)).content == b"hello"


def test_bad_uploads_are_refused(running: Running, me: Tenant) -> None:
    creds = (me.account.sid, me.account.token)
    assert error_of(upload(running, me.service_sid, auth=creds, data=b""))["code"] == 20001
    no_type = httpx.post(mcs(running, me.service_sid), content=b"x", auth=creds, headers={"Content-Type": ""})
    assert (no_type.status_code, error_of(no_type)["code"]) == (400, 20001)
    bad_category = upload(running, me.service_sid, auth=creds, params={"Category": "poster"})
    assert (bad_category.status_code, error_of(bad_category)["code"]) == (400, 20001)
    assert error_of(upload(running, "IS" + "0" * 32, auth=creds))["code"] == 50050
    missing = httpx.get(mcs(running, me.service_sid, "/Media/ME" + "0" * 32), auth=creds)
    assert (missing.status_code, error_of(missing)["code"]) == (404, 50507)


def test_a_browser_form_upload_keeps_the_files_type_and_name(running: Running, me: Tenant) -> None:
    """The JS client's `postFormData` sends the browser's multipart/form-data."""
    files = {"file": ("doc.pdf", b"%PDF-1.4 body", "application/pdf")}
    made = httpx.post(
        mcs(running, me.service_sid), files=files, params={"Category": "media"}, headers={"X-Twilio-Token": token(me)}
    )
    assert made.status_code == 201, made.text
    assert (made.json()["content_type"], made.json()["filename"], made.json()["size"]) == (
        "application/pdf",
        "doc.pdf",
        13,
    )


def test_cors_preflight_and_headers(running: Running, me: Tenant) -> None:
    for rest in ("/Media", "/Media/ME" + "1" * 32, "/Media/ME" + "1" * 32 + "/Content", "/MediaSet"):
        pre = httpx.options(
            mcs(running, me.service_sid, rest),
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-twilio-token, content-type",
            },
        )
        assert pre.status_code == 204, (rest, pre.text)
        assert pre.headers["access-control-allow-origin"] == "*"
        allowed = {h.strip().lower() for h in pre.headers["access-control-allow-headers"].split(",")}
        assert {"x-twilio-token", "content-type", "authorization"} <= allowed
    refused = upload(running, me.service_sid, tok="nope")
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == "*"


# --- access tokens through the server ------------------------------------------------------------


def test_a_token_uploads_as_its_user_and_sees_what_its_user_may(running: Running, me: Tenant, twilio: V1) -> None:
    alice, bob = token(me, "alice"), token(me, "bob")
    made = upload(running, me.service_sid, tok=alice)
    assert made.status_code == 201, made.text
    record = made.json()
    assert record["author"] == "alice"
    url = record["url"]
    assert httpx.get(url, headers={"X-Twilio-Token": alice}).status_code == 200
    # Bob cannot see Alice's upload until it is in a conversation of his.
    hidden = httpx.get(url, headers={"X-Twilio-Token": bob})
    assert (hidden.status_code, error_of(hidden)["code"]) == (404, 50507)
    conv = twilio.conversations.create()
    conv.participants.create(identity="alice")
    conv.participants.create(identity="bob")
    sent = conv.messages.create(author="alice", media_sid=record["sid"])
    shown = httpx.get(url, headers={"X-Twilio-Token": bob})
    assert shown.status_code == 200
    assert (shown.json()["channel_sid"], shown.json()["message_sid"]) == (conv.sid, sent.sid)
    assert httpx.get(shown.json()["links"]["content"], headers={"X-Twilio-Token": bob}).content == PNG
    carol = httpx.get(url, headers={"X-Twilio-Token": token(me, "carol")})
    assert carol.status_code == 404


def test_every_token_refusal_through_the_server(running: Running, me: Tenant, account: Account) -> None:
    other_account = Account(*bootstrap.create_account(running.database_url))
    other = tenant(running, other_account)
    now = int(time.time())
    capability = ClientCapabilityToken(me.account.sid, me.account.token)
    capability.allow_client_outgoing("AP" + "0" * 32)
    second_service = make_client(running.url, account).conversations.v1.services.create(friendly_name="second").sid
    cases = [
        ("not.a.jwt", 20101),
        (str(capability.to_jwt()), 20102),
        (token(me, key=other.key_sid, secret=other.secret), 20103),
        (token(me, valid_until=now - 600), 20104),
        (token(me, nbf=now + 3600), 20105),
        (token(me, service=other.service_sid), 20106),
        (token(me, secret="0" * 32), 20107),
        (token(me, ttl=90_000), 20157),
        # A valid token of another service of the account: not this URL's service.
        (token(me, service=second_service), 20106),
    ]
    for tok, code in cases:
        refused = upload(running, me.service_sid, tok=tok)
        assert (refused.status_code, error_of(refused)["code"]) == (401, code), (code, refused.text)
    assert httpx.get(mcs(running, me.service_sid), headers={"X-Twilio-Token": "x"}).status_code == 405


# --- messages with media -------------------------------------------------------------------------


def test_a_message_with_media_sid_lists_its_media_in_every_url_form(
    running: Running, me: Tenant, where: Scoped, twilio: V1
) -> None:
    creds = (me.account.sid, me.account.token)
    made = upload(running, where.service_sid, auth=creds)
    assert made.status_code == 201, made.text
    sid = made.json()["sid"]
    conv = where.conversations.create()
    message = where.conversations(conv.sid).messages.create(media_sid=sid)  # no body: media is enough
    expected = [{"sid": sid, "size": len(PNG), "content_type": "image/png", "filename": "car.png", "category": "media"}]
    assert message.body is None and message.media == expected
    assert where.conversations(conv.sid).messages(message.sid).fetch().media == expected
    listed = where.conversations(conv.sid).messages.list()
    assert [m.media for m in listed] == [expected]
    # The other URL form of the same conversation shows it too.
    other = twilio.services(where.service_sid).conversations(conv.sid) if where.form == "short" else None
    if other is not None:
        assert other.messages(message.sid).fetch().media == expected
    plain = where.conversations(conv.sid).messages.create(body="no media")
    assert plain.media is None
    # The record now names its conversation and message.
    record = httpx.get(made.json()["url"], auth=creds).json()
    assert (record["channel_sid"], record["message_sid"]) == (conv.sid, message.sid)


def test_media_sid_refusals_change_nothing(running: Running, me: Tenant, twilio: V1) -> None:
    creds = (me.account.sid, me.account.token)
    conv = twilio.conversations.create()
    messages = twilio.conversations(conv.sid).messages
    sid = uploaded(running, me)["sid"]
    messages.create(media_sid=sid, body="first")
    with twilio_error(409, 50508, sid):
        messages.create(media_sid=sid)
    with twilio_error(404, 50507):
        messages.create(media_sid="ME" + "0" * 32)
    with twilio_error(400, 50510):
        messages.create(media_sid="MEnope")
    # An upload of another service of the same account is not this conversation's.
    second = twilio.services.create(friendly_name="second").sid
    elsewhere = upload(running, second, auth=creds).json()["sid"]
    with twilio_error(404, 50507):
        messages.create(media_sid=elsewhere)
    assert [m.body for m in messages.list()] == ["first"]
    assert httpx.get(mcs(running, second, f"/Media/{elsewhere}"), auth=creds).json()["message_sid"] is None


def test_deleting_the_message_deletes_its_media(running: Running, me: Tenant, twilio: V1) -> None:
    creds = (me.account.sid, me.account.token)
    record = uploaded(running, me)
    conv = twilio.conversations.create()
    message = conv.messages.create(media_sid=record["sid"])
    message.delete()
    gone = httpx.get(record["url"], auth=creds)
    assert (gone.status_code, error_of(gone)["code"]) == (404, 50507)
    assert httpx.get(record["links"]["content_direct_temporary"]).status_code == 404


def test_media_set(running: Running, me: Tenant) -> None:
    mine = upload(running, me.service_sid, tok=token(me, "alice")).json()
    theirs = upload(running, me.service_sid, tok=token(me, "bob")).json()
    unknown = "ME" + "9" * 32
    query = {"command": "get", "list": [{"media_sid": s} for s in (mine["sid"], unknown, theirs["sid"])]}
    answer = httpx.post(
        mcs(running, me.service_sid, "/MediaSet"), json=query, headers={"X-Twilio-Token": token(me, "alice")}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [item["code"] for item in body] == [200, 404, 404]
    assert body[0]["media_record"]["sid"] == mine["sid"] and set(body[0]["media_record"]) == RECORD_KEYS
    assert [item["media_record"]["sid"] for item in body[1:]] == [unknown, theirs["sid"]]
    # Account credentials see every upload of the account.
    basic = httpx.post(mcs(running, me.service_sid, "/MediaSet"), json=query, auth=(me.account.sid, me.account.token))
    assert [item["code"] for item in basic.json()] == [200, 404, 200]
    bad = httpx.post(
        mcs(running, me.service_sid, "/MediaSet"), json={"command": "delete"}, auth=(me.account.sid, me.account.token)
    )
    assert (bad.status_code, error_of(bad)["code"]) == (400, 20001)


def test_another_accounts_media_is_unreachable(running: Running, me: Tenant) -> None:
    record = uploaded(running, me)
    stranger = tenant(running, Account(*bootstrap.create_account(running.database_url)))
    their = (stranger.account.sid, stranger.account.token)
    # Their credentials on this account's service URL: the service is not theirs.
    assert error_of(httpx.get(record["url"], auth=their))["code"] == 50050
    assert error_of(upload(running, me.service_sid, auth=their))["code"] == 50050
    # The media SID under their own service: not found.
    own_url = mcs(running, stranger.service_sid, f"/Media/{record['sid']}")
    assert error_of(httpx.get(own_url, auth=their))["code"] == 50507
    assert error_of(httpx.get(own_url + "/Content", auth=their))["code"] == 50507
    # The temporary URL moved under their service: not found.
    moved = record["links"]["content_direct_temporary"].replace(me.service_sid, stranger.service_sid)
    assert httpx.get(moved).status_code == 404
    # Nor can they attach it to a message of theirs.
    client = make_client(running.url, stranger.account).conversations.v1
    with twilio_error(404, 50507):
        client.conversations.create().messages.create(media_sid=record["sid"])
    # A token of theirs naming this account's service is refused.
    assert error_of(upload(running, me.service_sid, tok=token(stranger, service=me.service_sid)))["code"] == 20106


# --- size limit -----------------------------------------------------------------------------------


def test_uploads_are_not_held_to_the_api_body_limit(running: Running, me: Tenant) -> None:
    big = os.urandom(3 * 1024 * 1024)  # three times the API's 1 MiB form limit
    record = uploaded(running, me, data=big, content_type="video/mp4")
    assert record["size"] == len(big)
    assert httpx.get(record["links"]["content_direct_temporary"]).content == big


@pytest.fixture(scope="module")
def small_limit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with serving("sqlite", tmp_path_factory.mktemp("media-limit"), {"CHINWAG_MEDIA_MAX_BYTES": "1000"}) as server:
        yield server


def test_the_media_size_limit(small_limit: Running, tmp_path: Path) -> None:
    account = Account(*bootstrap.create_account(small_limit.database_url))
    me = tenant(small_limit, account)
    creds = (account.sid, account.token)
    assert upload(small_limit, me.service_sid, auth=creds, data=b"x" * 1000).status_code == 201
    over = upload(small_limit, me.service_sid, auth=creds, data=b"x" * 1001)
    assert (over.status_code, error_of(over)["code"]) == (413, 20413)
    assert "1000 bytes" in error_of(over)["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while reading
        for _ in range(3):
            yield b"y" * 600

    streamed = httpx.post(
        mcs(small_limit, me.service_sid), content=chunks(), auth=creds, headers={"Content-Type": "text/plain"}
    )
    assert (streamed.status_code, error_of(streamed)["code"]) == (413, 20413)


# --- Reset and Snapshot (emulator mode) -----------------------------------------------------------


def test_reset_deletes_media_and_a_snapshot_carries_their_bytes(emulator_running: Running) -> None:
    e = emulated(emulator_running.url)
    service = e.twilio.configuration().fetch().default_chat_service_sid
    creds = (e.account.sid, e.account.token)
    record = upload(emulator_running, service, auth=creds)
    assert record.status_code == 201, record.text
    loose = upload(emulator_running, service, auth=creds, data=b"\x00loose", content_type="application/octet-stream")
    conv = e.twilio.conversations.create()
    message = conv.messages.create(media_sid=record.json()["sid"])

    saved = e.http.get("/_chinwag/v1/Snapshot").content
    doc = orjson.loads(saved)
    rows = {row["sid"]: row for row in doc["media"]}
    assert set(rows) == {record.json()["sid"], loose.json()["sid"]}
    assert base64.b64decode(rows[record.json()["sid"]]["content"]) == PNG
    assert rows[record.json()["sid"]]["message_sid"] == message.sid
    assert [m["media"] for m in doc["messages"]] == [orjson.dumps(message.media).decode()]

    assert e.http.post("/_chinwag/v1/Reset").status_code == 204
    assert error_of(httpx.get(record.json()["url"], auth=creds))["code"] == 50507

    assert e.http.put("/_chinwag/v1/Snapshot", content=saved).status_code == 200
    assert e.http.get("/_chinwag/v1/Snapshot").content == saved  # same state, same bytes
    back = httpx.get(record.json()["links"]["content"], auth=creds)
    assert back.content == PNG and back.headers["content-type"] == "image/png"
    assert httpx.get(loose.json()["links"]["content"], auth=creds).content == b"\x00loose"
    assert e.twilio.conversations(conv.sid).messages(message.sid).fetch().media == message.media

    # Content that is not base64 is refused, and nothing changes.
    rows[loose.json()["sid"]]["content"] = "not base64!"
    bad = e.http.put("/_chinwag/v1/Snapshot", content=orjson.dumps({**doc, "media": list(rows.values())}))
    assert (bad.status_code, error_of(bad)["code"]) == (400, 20001)
    assert "base64" in error_of(bad)["message"]
    assert e.http.get("/_chinwag/v1/Snapshot").content == saved


def test_tokens_are_judged_by_the_accounts_own_clock(emulator_running: Running) -> None:
    """Emulator mode: the account's clock (POST /_chinwag/v1/Clock) decides exp and nbf."""
    e = emulated(emulator_running.url)
    key = e.http.post(f"/2010-04-01/Accounts/{e.account.sid}/Keys.json", data={"FriendlyName": "clock"})
    assert key.status_code == 201, key.text
    service = e.twilio.configuration().fetch().default_chat_service_sid
    me = Tenant(e.account, key.json()["sid"], key.json()["secret"], service)
    now = int(time.time())
    today, tomorrow = token(me, ttl=3600), token(me, nbf=now + 7200, valid_until=now + 10_800)
    assert upload(emulator_running, service, tok=today).status_code == 201
    assert error_of(upload(emulator_running, service, tok=tomorrow))["code"] == 20105
    assert e.http.post("/_chinwag/v1/Clock", data={"Advance": "7300"}).status_code == 200
    assert error_of(upload(emulator_running, service, tok=today))["code"] == 20104
    assert upload(emulator_running, service, tok=tomorrow).status_code == 201


def test_hostile_paths_and_parameters(running: Running, me: Tenant) -> None:
    creds = (me.account.sid, me.account.token)
    nul_filename = upload(running, me.service_sid, auth=creds, params={"Filename": "a\x00b"})
    assert (nul_filename.status_code, error_of(nul_filename)["code"]) == (400, 20001)
    for sid in ("ME%00" + "0" * 30, "ME" + "z" * 32, "x" * 2000):
        signed = httpx.get(mcs(running, me.service_sid, f"/Media/{sid}/Content?Expires=1&Signature=00"))
        assert (signed.status_code, error_of(signed)["code"]) == (404, 50507), sid
        plain = httpx.get(mcs(running, me.service_sid, f"/Media/{sid}"), auth=creds)
        assert (plain.status_code, error_of(plain)["code"]) == (404, 50507), sid
    bad_service = httpx.get(mcs(running, "IS%00x", "/Media/ME" + "0" * 32), auth=creds)
    assert (bad_service.status_code, error_of(bad_service)["code"]) == (404, 50050)
    not_json = httpx.post(mcs(running, me.service_sid, "/MediaSet"), content=b"[[[[", auth=creds)
    assert (not_json.status_code, error_of(not_json)["code"]) == (400, 20001)
