"""HTTP Basic with AccountSid:AuthToken (Twilio's docs), and the Twilio error bodies for unknown
routes and wrong methods, on both engines."""

from __future__ import annotations

import base64

import httpx
import pytest
from twilio.rest.conversations.v1 import V1

from tests.conftest import Account, Running, error_of, make_client
from tests.support.expect import twilio_error

CHALLENGE = 'Basic realm="Twilio API"'


def basic(raw: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def assert_401(response: httpx.Response, message: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == CHALLENGE
    assert error_of(response) == {
        "code": 20003,
        "message": message,
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


def test_no_credentials(running: Running) -> None:
    for method, path in (("GET", "/v1/Users"), ("POST", "/v1/Services"), ("GET", "/v1/Configuration")):
        response = httpx.request(method, running.url + path)
        assert_401(response, "Authentication Error - No credentials provided")


def test_wrong_credentials(running: Running, account: Account) -> None:
    url = running.url + "/v1/Users"
    other_sid = "AC" + "e" * 32
    # A username that could name a credential (an account or key SID) with the wrong secret: "invalid
    # credentials", the same whether the SID exists or not (docs/decisions.md #100).
    for auth in (
        (account.sid, "0" * 32),  # wrong token
        (account.sid, ""),  # empty token
        (other_sid, account.token),  # unknown account
        (account.sid.upper(), account.token),  # SIDs are exact
        ("SK" + "0" * 32, account.token),  # unknown key
    ):
        assert_401(httpx.get(url, auth=auth), "Authentication Error - invalid credentials")
    # A username that is no SID at all: "invalid username".
    for auth in (("not-an-account", account.token), (account.sid + "x", account.token), ("IS" + "0" * 32, "x")):
        assert_401(httpx.get(url, auth=auth), "Authentication Error - invalid username")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abc",
        "Basic",
        "Basic !!!not-base64!!!",
        basic(b"no-colon-here")["Authorization"],
        basic(b":token-without-sid")["Authorization"],
        basic(b"\xff\xfe:\xff")["Authorization"],
        basic(b"AC\x00:x")["Authorization"],
        basic(("AC" + "0" * 31 + "\x00:x").encode())["Authorization"],
    ],
)
def test_malformed_authorization_headers(running: Running, header: str) -> None:
    response = httpx.get(running.url + "/v1/Users", headers={"Authorization": header})
    assert_401(response, "Authentication Error - invalid username")


def test_good_credentials_and_scheme_case(running: Running, account: Account) -> None:
    raw = f"{account.sid}:{account.token}".encode()
    assert httpx.get(running.url + "/v1/Users", headers=basic(raw)).status_code == 200
    lower = {"Authorization": "basic " + base64.b64encode(raw).decode()}
    assert httpx.get(running.url + "/v1/Users", headers=lower).status_code == 200


def test_sdk_sees_20003(running: Running, account: Account) -> None:
    wrong = make_client(running.url, Account(account.sid, "1" * 32)).conversations.v1
    with twilio_error(401, 20003):
        wrong.users.create(identity="nope")
    with twilio_error(401, 20003):
        wrong.services("IS" + "0" * 32).fetch()
    right = make_client(running.url, account).conversations.v1
    assert right.users.list() == []


def test_a_token_works_only_for_its_own_account(running: Running, account: Account) -> None:
    from chinwag import bootstrap

    sid, token = bootstrap.create_account(running.database_url)
    assert httpx.get(running.url + "/v1/Users", auth=(sid, token)).status_code == 200
    assert_401(
        httpx.get(running.url + "/v1/Users", auth=(sid, account.token)), "Authentication Error - invalid credentials"
    )
    assert_401(
        httpx.get(running.url + "/v1/Users", auth=(account.sid, token)), "Authentication Error - invalid credentials"
    )


def test_health_needs_no_credentials(running: Running) -> None:
    response = httpx.get(running.url + "/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["content-type"].startswith("application/json")


def test_unknown_route(http: httpx.Client, running: Running) -> None:
    for path, quoted in (
        ("/v1/Nope", "/Nope"),
        ("/v1/Users/alice/Nope/x", "/Users/alice/Nope/x"),
        ("/v2/Users", "/v2/Users"),
        ("/", "/"),
    ):
        response = http.get(path)
        assert response.status_code == 404, path
        assert error_of(response) == {
            "code": 20404,
            "message": f"The requested resource {quoted} was not found",
            "more_info": "https://www.twilio.com/docs/errors/20404",
            "status": 404,
        }
    # The same without credentials: there is nothing there to protect.
    anonymous = httpx.get(running.url + "/v1/Nope")
    assert (anonymous.status_code, error_of(anonymous)["code"]) == (404, 20404)


def test_wrong_method(http: httpx.Client, running: Running) -> None:
    cases = [
        ("PUT", "/v1/Users", "GET, HEAD, POST"),
        ("PATCH", "/v1/Users/alice", "DELETE, GET, HEAD, POST"),
        ("DELETE", "/v1/Services", "GET, HEAD, POST"),
        ("POST", "/v1/Services/IS" + "0" * 32, "DELETE, GET, HEAD"),
        ("DELETE", "/v1/Configuration", "GET, HEAD, POST"),
        ("PUT", "/v1/Roles/RL" + "0" * 32, "DELETE, GET, HEAD, POST"),
        ("POST", "/health", "GET, HEAD"),
    ]
    for method, path, allowed in cases:
        response = http.request(method, path)
        assert response.status_code == 405, (method, path)
        assert error_of(response) == {
            "code": 20004,
            "message": "Method not allowed",
            "more_info": "https://www.twilio.com/docs/errors/20004",
            "status": 405,
        }
        assert sorted(response.headers["allow"].split(", ")) == allowed.split(", "), (method, path)


def test_head_answers_like_get_without_a_body(http: httpx.Client, running: Running, twilio: V1) -> None:
    twilio.users.create(identity="headed")
    for path in ("/v1/Users", "/v1/Users/headed", "/v1/Configuration", "/v1/Roles", "/health"):
        got = http.get(path)
        head = http.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"].startswith("application/json"), path
    missing = http.head("/v1/Users/nobody")
    assert (missing.status_code, missing.content) == (404, b"")
    anonymous = httpx.head(running.url + "/v1/Users")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == CHALLENGE


def test_nul_in_a_path_is_not_found(http: httpx.Client) -> None:
    for path in ("/v1/Users/a%00b", "/v1/Roles/RL%00", "/v1/Services/IS%00/Users", "/v1/Users/x%00/Conversations"):
        response = http.get(path)
        assert response.status_code == 404, (path, response.text)
        assert error_of(response)["code"] == 20404
