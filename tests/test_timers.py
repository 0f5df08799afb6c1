"""Conversation timers fire on a running server, driven by a clock the tests move (admin API),
and survive a restart (deadlines are stored)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from chinwag import bootstrap
from tests.conftest import Account, Running, make_client, serving


def wait_for_state(http: httpx.Client, sid: str, state: str, timeout: float = 10.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, object] = http.get(f"/v1/Conversations/{sid}").json()
        if body["state"] == state or time.monotonic() > deadline:
            assert body["state"] == state, body
            return body
        time.sleep(0.1)


def test_timers_move_the_state_on_a_running_server(admin_running: Running) -> None:
    sid, token = bootstrap.create_account(admin_running.database_url)
    twilio = make_client(admin_running.url, Account(sid, token)).conversations.v1
    http = httpx.Client(base_url=admin_running.url, auth=(sid, token))
    conv = twilio.conversations.create(state="active", timers_inactive="PT1M", timers_closed="PT10M")
    assert set(conv.timers) == {"date_inactive", "date_closed"}
    idle = twilio.conversations.create(state="active", timers_inactive="PT5M")
    conv_participant = twilio.conversations(conv.sid).participants.create(identity="timer-watcher")
    assert conv_participant.identity == "timer-watcher"

    # Nothing fires before the deadline: the sweep, run now, moves nothing.
    early = httpx.post(admin_running.url + "/__admin/clock", data={"Advance": "50"}).json()
    assert early["transitions"] == 0
    assert twilio.conversations(conv.sid).fetch().state == "active"

    # Past it, the background task moves the conversation by itself.
    httpx.post(admin_running.url + "/__admin/clock", data={"Advance": "15", "Sweep": "false"})
    inactive = wait_for_state(http, conv.sid, "inactive")
    assert inactive["timers"] == {"date_closed": conv.timers["date_closed"]}
    assert twilio.conversations(idle.sid).fetch().state == "active"

    # A new message re-activates it and pushes the deadlines forward.
    twilio.conversations(conv.sid).messages.create(body="back")
    active = twilio.conversations(conv.sid).fetch()
    assert active.state == "active"
    assert active.timers["date_closed"] > conv.timers["date_closed"]

    httpx.post(admin_running.url + "/__admin/clock", data={"Advance": "601", "Sweep": "false"})
    closed = wait_for_state(http, conv.sid, "closed")
    assert closed["timers"] == {}
    assert twilio.conversations(idle.sid).fetch().state == "inactive"
    # A user's view follows.
    view = twilio.users("timer-watcher").user_conversations(conv.sid).fetch()
    assert view.conversation_state == "closed"
    # And nothing is left to fire: a sweep now moves nothing.
    assert httpx.post(admin_running.url + "/__admin/clock", data={"Advance": "1"}).json()["transitions"] == 0


def test_account_default_timers_and_pt0s(admin_running: Running) -> None:
    sid, token = bootstrap.create_account(admin_running.database_url)
    twilio = make_client(admin_running.url, Account(sid, token)).conversations.v1
    twilio.configuration().update(default_inactive_timer="PT2M", default_closed_timer="PT0S")
    conv = twilio.conversations.create()
    assert set(conv.timers) == {"date_inactive"}
    moved = httpx.post(admin_running.url + "/__admin/clock", data={"Advance": "121"}).json()
    assert moved["transitions"] >= 1
    assert twilio.conversations(conv.sid).fetch().state == "inactive"


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_deadlines_survive_a_restart(engine: str, tmp_path: Path) -> None:
    with serving(engine, tmp_path) as first:
        sid, token = bootstrap.create_account(first.database_url)
        twilio = make_client(first.url, Account(sid, token)).conversations.v1
        conv = twilio.conversations.create(state="active", timers_inactive="PT1M")
        keep = twilio.conversations.create(state="active", timers_inactive="PT10M")
        database_url = first.database_url
        # Restart on the same database with the clock 90 s ahead: the deadline passed while down.
        first.server.stop()
        first.server.extra_env["CHINWAG_CLOCK_OFFSET"] = "90"
        first.server.start()
        http = httpx.Client(base_url=first.url, auth=(sid, token))
        wait_for_state(http, conv.sid, "inactive")
        assert http.get(f"/v1/Conversations/{keep.sid}").json()["state"] == "active"
        assert first.database_url == database_url
