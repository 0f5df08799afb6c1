"""The gate's own checks can fail: wire.py and the exception mechanism on hand-made responses."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.contract.gate import FULL_SPEC, apply_exceptions, stale_exceptions
from tests.contract.spec_exceptions import SpecException
from tests.contract.wire import wire_problems

BASE = "http://127.0.0.1:9"
JSON = {"content-type": "application/json"}
USER = "US" + "a" * 32
GOOD_USER: dict[str, Any] = {
    "sid": USER,
    "account_sid": "AC" + "a" * 32,
    "chat_service_sid": "IS" + "a" * 32,
    "role_sid": "RL" + "a" * 32,
    "identity": "alice",
    "friendly_name": None,
    "attributes": "{}",
    "is_online": None,
    "is_notifiable": None,
    "date_created": "2024-01-02T03:04:05Z",
    "date_updated": "2024-01-02T03:04:05Z",
    "url": f"{BASE}/v1/Users/{USER}",
    "links": {"user_conversations": f"{BASE}/v1/Users/{USER}/Conversations"},
}


def problems(body: Any, status: int = 200, path: str = "/v1/Users/{Sid}", method: str = "GET") -> list[str]:
    return wire_problems(FULL_SPEC, path, method, status, JSON, json.dumps(body).encode(), BASE)


def test_a_conformant_user_passes() -> None:
    assert problems(GOOD_USER) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"date_created": "2024-01-02T03:04:05+00:00"}, "not YYYY-MM-DDTHH:MM:SSZ"),
        ({"date_created": "2024-01-02T03:04:05.123Z"}, "not YYYY-MM-DDTHH:MM:SSZ"),
        ({"url": f"https://conversations.twilio.com/v1/Users/{USER}"}, "not an absolute URL on this server"),
        ({"links": {"user_conversations": "/v1/Users/x/Conversations"}}, "not an absolute URL on this server"),
        ({"is_online": "false"}, "not a boolean"),
        ({"extra": 1}, "has key(s) the schema lacks: ['extra']"),
    ],
)
def test_a_wrong_user_fails(change: dict[str, Any], expected: str) -> None:
    found = problems({**GOOD_USER, **change})
    assert any(expected in p for p in found), found


def test_a_missing_key_fails_even_when_nullable() -> None:
    body = {k: v for k, v in GOOD_USER.items() if k != "is_notifiable"}
    assert problems(body) == ["$ lacks key(s) the schema lists: ['is_notifiable']"]


def page(**meta: Any) -> dict[str, Any]:
    base_meta = {
        "page": 0,
        "page_size": 50,
        "first_page_url": f"{BASE}/v1/Users?PageSize=50&Page=0",
        "previous_page_url": None,
        "url": f"{BASE}/v1/Users?PageSize=50&Page=0",
        "next_page_url": None,
        "key": "users",
    }
    return {"users": [GOOD_USER], "meta": {**base_meta, **meta}}


def test_list_meta() -> None:
    assert problems(page(), path="/v1/Users") == []
    assert any("meta keys" in p for p in problems({"users": [], "meta": {"key": "users"}}, path="/v1/Users"))
    assert any("meta.key" in p for p in problems(page(key="people"), path="/v1/Users"))
    assert any(
        "previous_page_url is set on page 0" in p
        for p in problems(page(previous_page_url=f"{BASE}/v1/Users?x"), path="/v1/Users")
    )
    assert any(
        "first_page_url carries a PageToken" in p
        for p in problems(page(first_page_url=f"{BASE}/v1/Users?PageToken=PA1"), path="/v1/Users")
    )
    bad_record = page()
    bad_record["users"] = [{**GOOD_USER, "date_updated": "yesterday"}]
    assert any("$.users[0].date_updated" in p for p in problems(bad_record, path="/v1/Users"))


def test_status_content_type_and_error_body() -> None:
    assert any("not one the spec documents" in p for p in problems(GOOD_USER, status=201))
    assert wire_problems(FULL_SPEC, "/v1/Users/{Sid}", "DELETE", 204, {}, b"", BASE) == []
    assert wire_problems(FULL_SPEC, "/v1/Users/{Sid}", "DELETE", 204, {}, b"{}", BASE) != []
    assert wire_problems(FULL_SPEC, "/v1/Users/{Sid}", "GET", 200, {"content-type": "text/html"}, b"{}", BASE) != []
    error = {
        "code": 20404,
        "message": "not found",
        "more_info": "https://www.twilio.com/docs/errors/20404",
        "status": 404,
    }
    assert problems(error, status=404) == []
    assert problems({**error, "status": 400}, status=404) != []
    assert problems({**error, "detail": "x"}, status=404) != []
    assert problems({**error, "more_info": "https://example.com"}, status=404) != []


def test_exceptions_are_applied_and_checked_for_staleness() -> None:
    spec = copy.deepcopy(FULL_SPEC)
    spec["components"]["schemas"]["conversations.v1.user"]["properties"]["identity"]["nullable"] = False
    body = {**GOOD_USER, "identity": None}
    assert wire_problems(spec, "/v1/Users/{Sid}", "GET", 200, JSON, json.dumps(body).encode(), BASE) != []
    user = "conversations.v1.user"
    fixes = [
        SpecException(user, "identity", "nullable", "observed null"),
        SpecException(user, "is_online", "optional", "omitted by Twilio"),
        SpecException(user, "web_url", "extra", "sent by Twilio", {"type": "string", "nullable": True}),
    ]
    patched = apply_exceptions(spec, fixes)
    body = {k: v for k, v in {**GOOD_USER, "identity": None, "web_url": None}.items() if k != "is_online"}
    assert wire_problems(patched, "/v1/Users/{Sid}", "GET", 200, JSON, json.dumps(body).encode(), BASE) == []
    assert stale_exceptions(spec, fixes) == []
    stale = [
        SpecException("conversations.v1.nothing", "x", "nullable", "r"),
        SpecException(user, "nothing", "optional", "r"),
        SpecException(user, "identity", "extra", "r", {"type": "string"}),
        SpecException(user, "sid", "nullable", "already nullable"),
        SpecException(user, "identity", "optional", " "),
    ]
    assert len(stale_exceptions(FULL_SPEC, stale)) == len(stale)
