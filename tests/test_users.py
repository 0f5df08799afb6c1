"""Users through twilio-python, in both URL forms, on both engines (seed 003)."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest.conversations.v1 import V1

from chinwag.domain.models import User
from chinwag.domain.user_record import RECORD_VERSION, record_fields
from tests.conftest import Account, Running, error_of, make_client
from tests.support.expect import twilio_error
from tests.support.raw_sql import Raw

DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def users_of(twilio: V1, form: str):  # type: ignore[no-untyped-def]
    """The Users list of the default service (short URLs) or of a new service (long URLs)."""
    if form == "short":
        return twilio.users, None
    service = twilio.services.create(friendly_name="scoped")
    return twilio.services(service.sid).users, service.sid


@pytest.mark.parametrize("form", ["short", "service"])
def test_create_fetch_update_delete(twilio: V1, running: Running, form: str) -> None:
    users, service_sid = users_of(twilio, form)
    default_role = (
        twilio.services(service_sid or twilio.configuration().fetch().default_chat_service_sid)
        .configuration()
        .fetch()
        .default_chat_service_role_sid
    )
    user = users.create(identity="alice", friendly_name="Alice", attributes='{"duty": "tech"}')
    assert user.sid.startswith("US") and len(user.sid) == 34 and user.sid == user.sid[:2] + user.sid[2:].lower()
    assert user.identity == "alice"
    assert user.friendly_name == "Alice"
    assert json.loads(user.attributes) == {"duty": "tech"}
    assert user.role_sid == default_role
    assert user.is_online is None and user.is_notifiable is None
    prefix = f"{running.url}/v1" + ("" if service_sid is None else f"/Services/{service_sid}")
    assert user.url == f"{prefix}/Users/{user.sid}"
    assert user.links == {"user_conversations": f"{prefix}/Users/{user.sid}/Conversations"}

    by_sid = users(user.sid).fetch()
    by_identity = users("alice").fetch()
    assert by_sid.sid == by_identity.sid == user.sid
    assert by_sid.date_created == user.date_created

    updated = users("alice").update(friendly_name="Alice A.", attributes="[1, 2]")
    assert updated.friendly_name == "Alice A."
    assert updated.attributes == "[1, 2]"
    assert updated.identity == "alice"

    assert users(user.sid).delete() is True
    with twilio_error(404, 20404):
        users(user.sid).fetch()


def test_wire_shape_and_dates(http: httpx.Client) -> None:
    made = http.post("/v1/Users", data={"Identity": "shape"})
    assert made.status_code == 201
    body = made.json()
    assert set(body) == {
        "sid",
        "account_sid",
        "chat_service_sid",
        "role_sid",
        "identity",
        "friendly_name",
        "attributes",
        "is_online",
        "is_notifiable",
        "date_created",
        "date_updated",
        "url",
        "links",
    }
    assert body["friendly_name"] is None
    assert body["attributes"] == "{}"
    assert DATE.match(body["date_created"]) and DATE.match(body["date_updated"])
    assert made.headers["content-type"].startswith("application/json")


def test_identity_percent_decoded_and_plus_kept(twilio: V1) -> None:
    user = twilio.users.create(identity="carol+x@example.com")
    assert twilio.users("carol+x@example.com").fetch().sid == user.sid
    # A client that does percent-encode the segment reaches the same user.
    assert twilio.users("carol%2Bx%40example.com").fetch().sid == user.sid


def test_identity_is_case_sensitive_and_unique_per_service(twilio: V1) -> None:
    twilio.users.create(identity="Alice")
    twilio.users.create(identity="alice")
    with twilio_error(409, 50201):
        twilio.users.create(identity="Alice")
    other = twilio.services.create(friendly_name="other")
    # Each service is its own identity namespace.
    twilio.services(other.sid).users.create(identity="Alice")
    assert twilio.users("Alice").fetch().identity == "Alice"
    assert twilio.users("alice").fetch().identity == "alice"


def test_concurrent_creates_of_one_identity_make_one_user(running: Running, account: Account) -> None:
    def attempt(_: int) -> str:
        client = make_client(running.url, account).conversations.v1
        try:
            client.users.create(identity="racer")
            return "created"
        except TwilioRestException as exc:
            return f"{exc.status}/{exc.code}"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(16)))
    assert outcomes.count("created") == 1
    assert set(outcomes) - {"created"} == {"409/50201"}
    twilio = make_client(running.url, account).conversations.v1
    assert [u.identity for u in twilio.users.list()] == ["racer"]


def test_validation_errors_change_nothing(twilio: V1, http: httpx.Client) -> None:
    missing = http.post("/v1/Users", data={"FriendlyName": "x"})
    assert missing.status_code == 400
    assert error_of(missing) | {} == {
        "code": 20001,
        "message": "Missing required parameter Identity in the post body",
        "more_info": "https://www.twilio.com/docs/errors/20001",
        "status": 400,
    }
    with twilio_error(400, 50304):
        twilio.users.create(identity="bad-json", attributes="{not json")
    with twilio_error(400, 50303):
        twilio.users.create(identity="too-big", attributes=json.dumps({"x": "y" * 17000}))
    with twilio_error(400, 50207):
        twilio.users.create(identity="x" * 257)
    with twilio_error(400, 50206):
        twilio.users.create(identity="US" + "a" * 32)
    with twilio_error(404, 50100):
        twilio.users.create(identity="no-role", role_sid="RL" + "0" * 32)
    assert twilio.users.list() == []

    user = twilio.users.create(identity="keep", attributes='{"k": 1}')
    with twilio_error(400, 50304):
        twilio.users("keep").update(attributes="[")
    assert twilio.users(user.sid).fetch().attributes == '{"k": 1}'


def test_role_sid_must_be_a_service_role_of_the_same_service(twilio: V1) -> None:
    service_role = twilio.roles.create(friendly_name="vip", type="service", permission=["editOwnUserInfo"])
    conversation_role = twilio.roles.create(friendly_name="member", type="conversation", permission=["sendMessage"])
    user = twilio.users.create(identity="vip", role_sid=service_role.sid)
    assert user.role_sid == service_role.sid
    with twilio_error(400, 50105):
        twilio.users.create(identity="wrong-type", role_sid=conversation_role.sid)
    other = twilio.services.create(friendly_name="elsewhere")
    with twilio_error(404, 50100):
        twilio.services(other.sid).users.create(identity="foreign-role", role_sid=service_role.sid)
    default_role = twilio.users.create(identity="plain").role_sid
    moved = twilio.users("plain").update(role_sid=service_role.sid)
    assert moved.role_sid == service_role.sid != default_role


def test_webhook_header_accepted(twilio: V1) -> None:
    user = twilio.users.create(identity="hooked", x_twilio_webhook_enabled="true")
    twilio.users(user.sid).update(friendly_name="h", x_twilio_webhook_enabled="false")
    twilio.users(user.sid).delete(x_twilio_webhook_enabled="true")
    with twilio_error(404, 20404):
        twilio.users(user.sid).fetch()


def test_not_found_message_names_the_path(http: httpx.Client) -> None:
    response = http.get("/v1/Users/nobody")
    assert response.status_code == 404
    assert error_of(response)["message"] == "The requested resource /Users/nobody was not found"
    assert error_of(http.get("/v1/Services/IS" + "0" * 32 + "/Users"))["code"] == 20404


def test_accounts_cannot_see_each_other(running: Running, account: Account, twilio: V1) -> None:
    from chinwag import bootstrap

    mine = twilio.users.create(identity="private")
    service = twilio.services.create(friendly_name="mine")
    twilio.services(service.sid).users.create(identity="private2")
    sid, token = bootstrap.create_account(running.database_url)
    other = make_client(running.url, Account(sid, token)).conversations.v1
    with twilio_error(404, 20404):
        other.users(mine.sid).fetch()
    with twilio_error(404, 20404):
        other.users("private").fetch()
    with httpx.Client(base_url=running.url, auth=(sid, token)) as raw:
        listed = raw.get(f"/v1/Services/{service.sid}/Users")
        assert (listed.status_code, error_of(listed)["code"]) == (404, 20404)
        assert raw.get(f"/v1/Users/{mine.sid}", auth=(sid, account.token)).status_code == 401
    with twilio_error(404, 20404):
        other.services(service.sid).users.create(identity="intruder")
    with twilio_error(404, 20404):
        other.services(service.sid).delete()
    assert other.users.list() == []
    assert twilio.users(mine.sid).fetch().identity == "private"


@pytest.mark.parametrize("form", ["short", "service"])
def test_list_records_equal_fetched_ones(twilio: V1, http: httpx.Client, form: str) -> None:
    """A list page serves each user's stored record (domain/user_record.py) plus its URLs: it must
    be the same JSON as a fetch, in both URL forms, whatever the values hold."""
    users, service_sid = users_of(twilio, form)
    base = "/v1" if service_sid is None else f"/v1/Services/{service_sid}"
    made = [
        users.create(identity="plain"),
        users.create(identity='q"uote\\back', friendly_name="Zoë ☃ \n", attributes='{"a": ["</script>"]}'),
    ]
    users(made[0].sid).update(friendly_name="renamed", attributes="[1]")
    listed = http.get(f"{base}/Users", params={"PageSize": 50}).json()["users"]
    fetched = [http.get(f"{base}/Users/{u.sid}").json() for u in made]
    assert listed == fetched


def test_a_record_stored_in_an_older_shape_is_rendered_again(running: Running, http: httpx.Client) -> None:
    """Rows whose stored record is of another version (or missing) are shown from their columns."""
    made = [http.post("/v1/Users", data={"Identity": f"old-{n}", "FriendlyName": f"Old {n}"}).json() for n in range(3)]
    db = Raw(running.database_url)
    db.all("UPDATE users SET record_version = 0, record_json = '{\"stale\":true' WHERE sid = ?", made[0]["sid"])
    db.all("UPDATE users SET record_version = NULL, record_json = NULL WHERE sid = ?", made[2]["sid"])
    listed = http.get("/v1/Users", params={"PageSize": 2}).json()
    assert listed["users"] == made[:2]
    following = http.get(listed["meta"]["next_page_url"]).json()
    assert following["users"] == made[2:]


def test_the_stored_record_shape_is_pinned_to_its_version() -> None:
    """Changing what `record_fields` shows without bumping RECORD_VERSION would serve stored records
    of the old shape as if current. Bump the version, then update the pin here."""
    user = User(1, "US1", "AC1", "IS1", "id", "name", "{}", "RL1", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
    assert (RECORD_VERSION, list(record_fields(user))) == (
        1,
        [
            "sid",
            "account_sid",
            "chat_service_sid",
            "role_sid",
            "identity",
            "friendly_name",
            "attributes",
            "is_online",
            "is_notifiable",
            "date_created",
            "date_updated",
        ],
    )
