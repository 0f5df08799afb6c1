"""Account Configuration (`/v1/Configuration`) and per-service Configuration through twilio-python."""

from __future__ import annotations

import httpx
import pytest
from twilio.rest.conversations.v1 import V1

from chinwag import bootstrap
from tests.conftest import Account, Running, error_of, make_client
from tests.support.expect import twilio_error

MG = "MG" + "ab" * 16


def test_fetch_account_configuration(http: httpx.Client, running: Running, account: Account) -> None:
    response = http.get("/v1/Configuration")
    assert response.status_code == 200
    body = response.json()
    default = body["default_chat_service_sid"]
    assert body == {
        "account_sid": account.sid,
        "default_chat_service_sid": default,
        "default_messaging_service_sid": None,
        "default_inactive_timer": None,
        "default_closed_timer": None,
        "url": f"{running.url}/v1/Configuration",
        "links": {
            "service": f"{running.url}/v1/Services/{default}/Configuration",
            "webhooks": f"{running.url}/v1/Configuration/Webhooks",
        },
    }
    assert http.get(f"/v1/Services/{default}").status_code == 200


def test_changing_the_default_service_repoints_the_short_urls(twilio: V1, running: Running) -> None:
    first = twilio.configuration().fetch().default_chat_service_sid
    twilio.users.create(identity="old-default-user")
    second = twilio.services.create(friendly_name="second")
    twilio.services(second.sid).users.create(identity="new-default-user")

    updated = twilio.configuration().update(default_chat_service_sid=second.sid)
    assert updated.default_chat_service_sid == second.sid
    assert updated.links["service"] == f"{running.url}/v1/Services/{second.sid}/Configuration"
    assert twilio.configuration().fetch().default_chat_service_sid == second.sid

    found = twilio.users("new-default-user").fetch()
    assert found.chat_service_sid == second.sid
    assert found.url == f"{running.url}/v1/Users/{found.sid}"  # short form, mirrored
    with twilio_error(404, 20404):
        twilio.users("old-default-user").fetch()
    assert twilio.users.create(identity="made-short").chat_service_sid == second.sid
    assert {r.chat_service_sid for r in twilio.roles.list()} == {second.sid}

    twilio.configuration().update(default_chat_service_sid=first)
    assert twilio.users("old-default-user").fetch().chat_service_sid == first
    with twilio_error(404, 20404):
        twilio.users("made-short").fetch()


def test_default_chat_service_must_be_a_service_of_the_account(
    twilio: V1, running: Running, http: httpx.Client
) -> None:
    before = twilio.configuration().fetch().default_chat_service_sid
    with twilio_error(404, 50050):
        twilio.configuration().update(default_chat_service_sid="IS" + "0" * 32)
    with twilio_error(400, 20001):
        twilio.configuration().update(default_chat_service_sid="not-a-sid")
    with twilio_error(400, 20001):
        twilio.configuration().update(default_chat_service_sid="CH" + "0" * 32)
    sid, token = bootstrap.create_account(running.database_url)
    foreign = make_client(running.url, Account(sid, token)).conversations.v1.services.create(friendly_name="theirs")
    with twilio_error(404, 50050):
        twilio.configuration().update(default_chat_service_sid=foreign.sid)
    # An empty value does not unset the default service (every account keeps one).
    assert http.post("/v1/Configuration", data={"DefaultChatServiceSid": ""}).status_code == 200
    assert twilio.configuration().fetch().default_chat_service_sid == before


def test_default_messaging_service(twilio: V1, http: httpx.Client) -> None:
    assert twilio.configuration().update(default_messaging_service_sid=MG).default_messaging_service_sid == MG
    with twilio_error(400, 20001):
        twilio.configuration().update(default_messaging_service_sid="IS" + "0" * 32)
    assert twilio.configuration().fetch().default_messaging_service_sid == MG
    cleared = http.post("/v1/Configuration", data={"DefaultMessagingServiceSid": ""})
    assert cleared.status_code == 200 and cleared.json()["default_messaging_service_sid"] is None


@pytest.mark.parametrize(
    ("inactive", "closed"),
    [("PT1M", "PT10M"), ("PT0S", "PT0S"), ("P1D", "P2DT3H"), ("PT90S", "PT1H"), ("P1W", "PT600S")],
)
def test_timers_accepted(twilio: V1, inactive: str, closed: str) -> None:
    updated = twilio.configuration().update(default_inactive_timer=inactive, default_closed_timer=closed)
    assert (updated.default_inactive_timer, updated.default_closed_timer) == (inactive, closed)
    fetched = twilio.configuration().fetch()
    assert (fetched.default_inactive_timer, fetched.default_closed_timer) == (inactive, closed)


def test_timer_validation_changes_nothing(twilio: V1, http: httpx.Client) -> None:
    twilio.configuration().update(default_inactive_timer="PT5M", default_closed_timer="PT1H")
    cases = [
        ({"DefaultInactiveTimer": "PT59S"}, 50375),
        ({"DefaultInactiveTimer": "PT0.5S"}, 50375),
        ({"DefaultClosedTimer": "PT9M59S"}, 50376),
        ({"DefaultClosedTimer": "PT1M"}, 50376),
        ({"DefaultInactiveTimer": "5 minutes"}, 50379),
        ({"DefaultInactiveTimer": "PT"}, 50379),
        ({"DefaultInactiveTimer": "-PT5M"}, 50379),
        ({"DefaultInactiveTimer": "300"}, 50379),
        ({"DefaultClosedTimer": "P"}, 50380),
        ({"DefaultClosedTimer": "PT10"}, 50380),
        # One bad value refuses the whole update, the good one included.
        ({"DefaultInactiveTimer": "PT2M", "DefaultClosedTimer": "soon"}, 50380),
        ({"DefaultChatServiceSid": "IS" + "0" * 32, "DefaultInactiveTimer": "PT2M"}, 50050),
    ]
    for data, code in cases:
        response = http.post("/v1/Configuration", data=data)
        assert error_of(response)["code"] == code, (data, response.text)
        assert response.status_code == (404 if code == 50050 else 400), data
    fetched = twilio.configuration().fetch()
    assert (fetched.default_inactive_timer, fetched.default_closed_timer) == ("PT5M", "PT1H")
    with twilio_error(400, 50375):
        twilio.configuration().update(default_inactive_timer="PT30S")
    with twilio_error(400, 50376):
        twilio.configuration().update(default_closed_timer="PT5M")


def test_timers_cleared_by_empty_and_unchanged_when_absent(twilio: V1, http: httpx.Client) -> None:
    twilio.configuration().update(default_inactive_timer="PT2M", default_closed_timer="PT20M")
    assert twilio.configuration().update(default_messaging_service_sid=MG).default_inactive_timer == "PT2M"
    cleared = http.post("/v1/Configuration", data={"DefaultInactiveTimer": ""}).json()
    assert (cleared["default_inactive_timer"], cleared["default_closed_timer"]) == (None, "PT20M")
    # Durations are echoed in their canonical (upper-case, trimmed) spelling.
    assert twilio.configuration().update(default_closed_timer=" pt15m ").default_closed_timer == "PT15M"


def test_service_configuration_fetch_and_update(twilio: V1, running: Running) -> None:
    service = twilio.services.create(friendly_name="configured")
    scoped = twilio.services(service.sid)
    config = scoped.configuration().fetch()
    url = f"{running.url}/v1/Services/{service.sid}/Configuration"
    assert config.url == url
    assert config.links == {"notifications": f"{url}/Notifications", "webhooks": f"{url}/Webhooks"}
    assert config.reachability_enabled is False

    member = scoped.roles.create(friendly_name="member", type="conversation", permission=["sendMessage"])
    owner = scoped.roles.create(friendly_name="owner", type="conversation", permission=["deleteConversation"])
    person = scoped.roles.create(friendly_name="person", type="service", permission=["joinConversation"])
    updated = scoped.configuration().update(
        default_conversation_creator_role_sid=owner.sid,
        default_conversation_role_sid=member.sid,
        default_chat_service_role_sid=person.sid,
        reachability_enabled=True,
    )
    assert updated.default_conversation_creator_role_sid == owner.sid
    assert updated.default_conversation_role_sid == member.sid
    assert updated.default_chat_service_role_sid == person.sid
    assert updated.reachability_enabled is True
    fetched = scoped.configuration().fetch()
    assert (fetched.default_chat_service_role_sid, fetched.reachability_enabled) == (person.sid, True)
    # The new default user role is what new users get.
    assert scoped.users.create(identity="newcomer").role_sid == person.sid
    # Only what is sent changes.
    assert scoped.configuration().update(reachability_enabled=False).default_conversation_role_sid == member.sid


def test_service_configuration_role_checks_change_nothing(twilio: V1, http: httpx.Client) -> None:
    service = twilio.services.create(friendly_name="strict")
    scoped = twilio.services(service.sid)
    before = scoped.configuration().fetch()
    service_role = scoped.roles.create(friendly_name="s", type="service", permission=["joinConversation"])
    conversation_role = scoped.roles.create(friendly_name="c", type="conversation", permission=["sendMessage"])
    elsewhere = twilio.roles.create(friendly_name="e", type="conversation", permission=["sendMessage"])
    with twilio_error(400, 50105):
        scoped.configuration().update(default_conversation_creator_role_sid=service_role.sid)
    with twilio_error(400, 50105):
        scoped.configuration().update(default_conversation_role_sid=service_role.sid)
    with twilio_error(400, 50105):
        scoped.configuration().update(default_chat_service_role_sid=conversation_role.sid)
    with twilio_error(404, 50100):
        scoped.configuration().update(default_conversation_role_sid=elsewhere.sid)
    with twilio_error(404, 50100):
        scoped.configuration().update(default_chat_service_role_sid="RL" + "0" * 32)
    # A good role next to a bad one: nothing changes.
    with twilio_error(400, 50105):
        scoped.configuration().update(
            default_conversation_role_sid=conversation_role.sid, default_chat_service_role_sid=conversation_role.sid
        )
    bad_flag = http.post(f"/v1/Services/{service.sid}/Configuration", data={"ReachabilityEnabled": "maybe"})
    assert (bad_flag.status_code, error_of(bad_flag)["code"]) == (400, 20001)
    after = scoped.configuration().fetch()
    assert (
        after.default_conversation_creator_role_sid,
        after.default_conversation_role_sid,
        after.default_chat_service_role_sid,
        after.reachability_enabled,
    ) == (
        before.default_conversation_creator_role_sid,
        before.default_conversation_role_sid,
        before.default_chat_service_role_sid,
        False,
    )


def test_service_configuration_of_unknown_or_foreign_service(twilio: V1, running: Running, http: httpx.Client) -> None:
    ghost = http.get(f"/v1/Services/IS{'0' * 32}/Configuration")
    assert (ghost.status_code, error_of(ghost)["code"]) == (404, 20404)
    mine = twilio.services.create(friendly_name="mine")
    sid, token = bootstrap.create_account(running.database_url)
    other = make_client(running.url, Account(sid, token)).conversations.v1
    with twilio_error(404, 20404):
        other.services(mine.sid).configuration().fetch()
    with twilio_error(404, 20404):
        other.services(mine.sid).configuration().update(reachability_enabled=True)
    assert twilio.services(mine.sid).configuration().fetch().reachability_enabled is False


def test_configuration_methods(http: httpx.Client) -> None:
    for method in ("DELETE", "PUT"):
        response = http.request(method, "/v1/Configuration")
        assert (response.status_code, error_of(response)["code"]) == (405, 20004), method
