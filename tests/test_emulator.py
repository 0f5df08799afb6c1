"""Emulator mode's control API (`chinwag serve --emulator`): accounts, reset, per-account clocks,
and none of it without --emulator. Snapshots: test_emulator_snapshots.py; the request journal and
hints: test_emulator_requests.py."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest

from chinwag.core.sids import SidPrefix, looks_like
from tests.conftest import Account, Running, error_of
from tests.support.emulated import Emulated, build_world, emulated

CONTROL = [
    ("POST", "/_chinwag/v1/Reset"),
    ("GET", "/_chinwag/v1/Snapshot"),
    ("PUT", "/_chinwag/v1/Snapshot"),
    ("GET", "/_chinwag/v1/Clock"),
    ("POST", "/_chinwag/v1/Clock"),
    ("GET", "/_chinwag/v1/Requests"),
]


def test_no_control_api_without_emulator_mode(running: Running, account: Account) -> None:
    with httpx.Client(base_url=running.url, auth=(account.sid, account.token)) as http:
        for method, path in [*CONTROL, ("POST", "/_chinwag/v1/Accounts")]:
            response = http.request(method, path)
            assert response.status_code == 404, (method, path)
            assert error_of(response)["code"] == 20404
        assert http.post("/__admin/clock", data={"Advance": "60"}).status_code == 404


def test_a_fresh_account_works_with_the_sdk(emulator_running: Running) -> None:
    e = emulated(emulator_running.url)
    assert looks_like(e.account.sid, SidPrefix.ACCOUNT) and len(e.account.token) == 32
    config = e.twilio.configuration().fetch()
    assert looks_like(config.default_chat_service_sid, SidPrefix.SERVICE)
    assert sorted(r.friendly_name for r in e.twilio.roles.list()) == [
        "channel admin",
        "channel user",
        "service admin",
        "service user",
    ]
    assert e.twilio.users.create(identity="alice").identity == "alice"
    # Every control route but Accounts wants the account's credentials.
    for method, path in CONTROL:
        assert httpx.request(method, emulator_running.url + path).status_code == 401, path
        wrong = httpx.request(method, emulator_running.url + path, auth=(e.account.sid, "0" * 32))
        assert error_of(wrong)["code"] == 20003


def _roles(e: Emulated) -> list[tuple[str, str, list[str]]]:
    return sorted((r.friendly_name, r.type, sorted(r.permissions)) for r in e.twilio.roles.list())


def test_reset_returns_the_account_to_its_state_at_creation(emulator_running: Running) -> None:
    e, bystander = emulated(emulator_running.url), emulated(emulator_running.url)
    fresh_roles = _roles(e)
    default = e.twilio.configuration().fetch().default_chat_service_sid
    build_world(e)
    build_world(bystander)
    bystander_before = bystander.http.get("/_chinwag/v1/Snapshot").content
    e.http.post("/_chinwag/v1/Clock", data={"Advance": "3600"})

    response = e.http.post("/_chinwag/v1/Reset")
    assert response.status_code == 204, response.text
    assert e.http.get("/_chinwag/v1/Requests").json()["requests"] == []

    config = e.twilio.configuration().fetch()
    assert config.default_chat_service_sid == default
    assert config.default_inactive_timer is None
    assert [s.sid for s in e.twilio.services.list()] == [default]
    assert e.twilio.users.list() == []
    assert e.twilio.conversations.list() == []
    assert _roles(e) == fresh_roles
    service_config = e.twilio.services(default).configuration().fetch()
    by_sid = {r.sid: r.friendly_name for r in e.twilio.roles.list()}
    assert by_sid[service_config.default_chat_service_role_sid] == "service user"
    assert by_sid[service_config.default_conversation_role_sid] == "channel user"
    assert e.http.get("/_chinwag/v1/Clock").json()["offset_seconds"] == 0
    hooks = e.twilio.configuration.webhooks().fetch()
    assert (hooks.post_webhook_url, hooks.filters) == (None, [])
    # The identity is free again, and the account works as before.
    assert e.twilio.users.create(identity="alice").identity == "alice"
    # Another account saw nothing of it.
    assert bystander.http.get("/_chinwag/v1/Snapshot").content == bystander_before


def _epoch(value: str) -> float:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def test_the_clock_is_the_accounts_own(emulator_running: Running) -> None:
    e, other = emulated(emulator_running.url), emulated(emulator_running.url)
    start = e.http.get("/_chinwag/v1/Clock").json()
    assert start["offset_seconds"] == 0
    assert abs(_epoch(start["now"]) - time.time()) < 5

    moved = e.http.post("/_chinwag/v1/Clock", data={"Advance": "86400"}).json()
    assert moved["offset_seconds"] == 86400
    assert abs(_epoch(moved["now"]) - (time.time() + 86400)) < 5
    assert e.http.get("/_chinwag/v1/Clock").json()["offset_seconds"] == 86400
    assert other.http.get("/_chinwag/v1/Clock").json()["offset_seconds"] == 0

    # The account's resources are stamped by its clock; the other account's by the server's.
    late = e.twilio.users.create(identity="late")
    assert abs(late.date_created.timestamp() - (time.time() + 86400)) < 5
    early = other.twilio.users.create(identity="early")
    assert abs(early.date_created.timestamp() - time.time()) < 5

    # `Now` sets it; an offset-aware date is understood.
    set_to = e.http.post("/_chinwag/v1/Clock", data={"Now": "2031-05-06T07:08:09+02:00"}).json()
    assert set_to["now"] == "2031-05-06T05:08:09Z"
    assert abs(set_to["offset_seconds"] - (_epoch("2031-05-06T05:08:09Z") - time.time())) < 5


@pytest.mark.parametrize(
    "form",
    [
        {"Advance": "nan"},
        {"Advance": "inf"},
        {"Advance": "-inf"},
        {"Advance": "ten"},
        {"Advance": ""},
        {"Advance": "1e300"},
        {"Advance": "-99999999999"},
        {"Now": "yesterday"},
        {"Now": "2030-13-01T00:00:00Z"},
        {"Now": ""},
        {"Now": "9999-12-31T23:59:59Z"},
        {"Advance": "60", "Now": "2030-01-01T00:00:00Z"},
        {},
    ],
)
def test_bad_clock_values_are_400_and_change_nothing(emulator_running: Running, form: dict[str, str]) -> None:
    e = emulated(emulator_running.url)
    e.http.post("/_chinwag/v1/Clock", data={"Advance": "120"})
    response = e.http.post("/_chinwag/v1/Clock", data=form)
    assert response.status_code == 400, response.text
    assert error_of(response)["code"] == 20001
    assert e.http.get("/_chinwag/v1/Clock").json()["offset_seconds"] == 120


def test_moving_one_accounts_clock_fires_only_its_timers(emulator_running: Running) -> None:
    a, b = emulated(emulator_running.url), emulated(emulator_running.url)
    conv_a = a.twilio.conversations.create(state="active", timers_inactive="PT1M", timers_closed="PT10M")
    conv_b = b.twilio.conversations.create(state="active", timers_inactive="PT1M", timers_closed="PT10M")
    a.http.post("/_chinwag/v1/Clock", data={"Advance": "61"})
    assert a.twilio.conversations(conv_a.sid).fetch().state == "inactive"
    assert b.twilio.conversations(conv_b.sid).fetch().state == "active"
    a.http.post("/_chinwag/v1/Clock", data={"Advance": "600"})
    assert a.twilio.conversations(conv_a.sid).fetch().state == "closed"
    assert b.twilio.conversations(conv_b.sid).fetch().state == "active"
    # The other account's own move fires its own.
    b.http.post("/_chinwag/v1/Clock", data={"Now": a.http.get("/_chinwag/v1/Clock").json()["now"]})
    assert b.twilio.conversations(conv_b.sid).fetch().state == "closed"


def test_accounts_in_parallel_never_see_each_other(emulator_running: Running) -> None:
    def session(n: int) -> tuple[Emulated, bytes]:
        e = emulated(emulator_running.url)
        build_world(e)
        e.http.post("/_chinwag/v1/Clock", data={"Advance": str(60 * (n + 1))})
        e.http.post("/_chinwag/v1/Reset")
        build_world(e)
        return e, e.http.get("/_chinwag/v1/Snapshot").content

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(session, range(4)))
    for e, snap in results:
        assert e.http.get("/_chinwag/v1/Snapshot").content == snap
        assert sorted(u.identity for u in e.twilio.users.list()) == ["alice", "bob"]
        assert e.http.get("/_chinwag/v1/Clock").json()["offset_seconds"] == 0
        journal = e.http.get("/_chinwag/v1/Requests", params={"PageSize": 1000}).json()["requests"]
        assert journal and all(r["path"].startswith("/v1/") for r in journal)


def test_concurrent_moves_of_one_clock_add_up(emulator_running: Running) -> None:
    e = emulated(emulator_running.url)

    def advance(_: int) -> int:
        with httpx.Client(base_url=emulator_running.url, auth=(e.account.sid, e.account.token)) as http:
            return http.post("/_chinwag/v1/Clock", data={"Advance": "10"}).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(advance, range(16))) == [200] * 16
    assert e.http.get("/_chinwag/v1/Clock").json()["offset_seconds"] == 160
