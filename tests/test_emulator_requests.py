"""The request journal (`GET /_chinwag/v1/Requests`) and the hints that explain a 4xx, in
emulator mode, through twilio-python where it can send the request."""

from __future__ import annotations

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException

from tests.conftest import Running, error_of
from tests.support.emulated import Emulated, emulated


def _journal(e: Emulated, **params: str | int) -> list[dict[str, object]]:
    response = e.http.get("/_chinwag/v1/Requests", params=params)
    assert response.status_code == 200, response.text
    records: list[dict[str, object]] = response.json()["requests"]
    return records


def test_requests_are_journaled_newest_first_without_credentials(emulator_running: Running) -> None:
    e = emulated(emulator_running.url)
    e.twilio.users.create(identity="alice", friendly_name="Alice")
    e.twilio.users("alice").fetch()
    e.http.get("/v1/Users", params={"PageSize": "5"})
    e.http.post("/_chinwag/v1/Clock", data={"Advance": "1"})  # chinwag's own routes are not journaled
    assert e.http.get("/_chinwag/v1/WebhookDeliveries").status_code == 200
    records = _journal(e)
    assert [(r["method"], r["path"]) for r in records] == [
        ("GET", "/v1/Users"),
        ("GET", "/v1/Users/alice"),
        ("POST", "/v1/Users"),
    ]
    listed, fetched, created = records
    assert fetched["status"] == 200 and fetched["params"] == {}
    assert listed["query"] == "PageSize=5" and listed["status"] == 200 and listed["code"] is None
    assert created["params"] == {"Identity": "alice", "FriendlyName": "Alice"}
    assert created["status"] == 201 and created["hint"] is None
    assert all(isinstance(r["date_created"], str) for r in records)
    raw = e.http.get("/_chinwag/v1/Requests").text
    assert e.account.token not in raw and "Authorization" not in raw and "Basic" not in raw
    # Another account's journal is its own.
    assert _journal(emulated(emulator_running.url)) == []


def test_filters_and_paging(emulator_running: Running) -> None:
    e = emulated(emulator_running.url)
    for name in ("a", "b", "c"):
        e.twilio.users.create(identity=name)
    e.http.get("/v1/Users/nobody")
    e.http.get("/v1/Conversations")
    assert [r["path"] for r in _journal(e, Method="GET")] == ["/v1/Conversations", "/v1/Users/nobody"]
    assert [r["path"] for r in _journal(e, Method="post")] == ["/v1/Users"] * 3
    assert [r["path"] for r in _journal(e, Status=404)] == ["/v1/Users/nobody"]
    assert [r["path"] for r in _journal(e, Path="/v1/Users/")] == ["/v1/Users/nobody"]
    assert len(_journal(e, Path="/v1/Users")) == 4
    assert e.http.get("/_chinwag/v1/Requests", params={"Status": "abc"}).status_code == 400

    first = e.http.get("/_chinwag/v1/Requests", params={"PageSize": 2}).json()
    assert first["meta"]["key"] == "requests" and len(first["requests"]) == 2
    second = httpx.get(first["meta"]["next_page_url"], auth=(e.account.sid, e.account.token)).json()
    third = httpx.get(second["meta"]["next_page_url"], auth=(e.account.sid, e.account.token)).json()
    assert third["meta"]["next_page_url"] is None
    walked = [r["path"] for page in (first, second, third) for r in page["requests"]]
    assert walked == [r["path"] for r in _journal(e)]


def test_the_journal_keeps_the_last_thousand(emulator_running: Running) -> None:
    e = emulated(emulator_running.url)
    for n in range(1005):
        e.http.get(f"/v1/Users/u{n}")
    records = _journal(e, PageSize=1000)
    assert len(records) == 1000
    assert records[0]["path"] == "/v1/Users/u1004" and records[-1]["path"] == "/v1/Users/u5"
    first = e.http.get("/_chinwag/v1/Requests", params={"PageSize": 1000}).json()
    assert first["meta"]["next_page_url"] is None


def _hint(e: Emulated, method: str, path: str, **data: str) -> tuple[dict[str, object], str]:
    response = e.http.request(method, path, data=data or None)
    assert 400 <= response.status_code < 500, response.text
    body = error_of(response)
    (record,) = _journal(e, Path=path.split("?")[0], Method=method)[:1]
    hint = record["hint"]
    assert isinstance(hint, str), record
    assert str(body["message"]).endswith(f" (hint: {hint})")
    assert record["message"] == str(body["message"]).removesuffix(f" (hint: {hint})")
    return body, hint


def test_hints_explain_a_near_miss(emulator_running: Running) -> None:
    e = emulated(emulator_running.url)
    e.twilio.users.create(identity="alice")
    other = e.twilio.services.create(friendly_name="other")
    e.twilio.services(other.sid).users.create(identity="bob")
    conv = e.twilio.conversations.create(friendly_name="c")

    # Through the SDK: the hint is in the exception's message.
    with pytest.raises(TwilioRestException) as caught:
        e.twilio.users("alcie").fetch()
    assert "no user 'alcie' in the default service; 'alice' exists" in caught.value.msg
    assert _hint(e, "GET", "/v1/Users/alcie")[1] == "no user 'alcie' in the default service; 'alice' exists"

    _, hint = _hint(e, "GET", "/v1/Users/bob")
    assert hint == f"user 'bob' exists in service {other.sid} but this request used the default service"
    _, hint = _hint(e, "GET", f"/v1/Users/alice/Conversations/{conv.sid}")
    assert hint == f"conversation {conv.sid} exists but alice is not a participant"
    _, hint = _hint(e, "POST", "/v1/Users", identity="carol")
    assert hint == "parameter 'identity' is not recognised; did you mean 'Identity'?"
    _, hint = _hint(e, "GET", f"/v1/Services/{other.sid}/Users/alice")
    default = e.twilio.configuration().fetch().default_chat_service_sid
    assert hint == f"user 'alice' exists in service {default} but this request used service {other.sid}"
    _, hint = _hint(e, "GET", "/v1/Users/zzzzzzzz")
    assert hint == "no user 'zzzzzzzz' in the default service"
    # A 404 is explained by what exists before any parameter is looked at.
    _, hint = _hint(e, "POST", "/v1/Users/alcie", FriendlyNam="A")
    assert hint == "no user 'alcie' in the default service; 'alice' exists"
    e.twilio.conversations.create(unique_name="support-chat")
    _, hint = _hint(e, "GET", "/v1/Conversations/suport-chat")
    assert hint == "no conversation 'suport-chat' in the default service; 'support-chat' exists"
    bad = e.http.get("/v1/Users", params={"PageSize": "0", "pagetoken": "x"})
    assert bad.status_code == 400
    assert _journal(e, Path="/v1/Users", Status=400)[0]["hint"] == (
        "parameter 'pagetoken' is not recognised; did you mean 'PageToken'?"
    )


def test_no_hints_outside_emulator_mode(running: Running, http: httpx.Client, twilio: object) -> None:
    http.post("/v1/Users", data={"Identity": "alice"})
    body = error_of(http.get("/v1/Users/alcie"))
    assert body["message"] == "The requested resource /Users/alcie was not found"
