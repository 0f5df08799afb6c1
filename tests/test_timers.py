"""Conversation timers fire on a running server, driven by the account's clock (emulator mode,
`POST /_chinwag/v1/Clock`), and survive a restart (deadlines are stored)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from chinwag import bootstrap
from tests.conftest import Account, Running, make_client, new_account, serving

CLOCK = "/_chinwag/v1/Clock"


def wait_for_state(http: httpx.Client, sid: str, state: str, timeout: float = 10.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, object] = http.get(f"/v1/Conversations/{sid}").json()
        if body["state"] == state or time.monotonic() > deadline:
            assert body["state"] == state, body
            return body
        time.sleep(0.1)


def test_timers_move_the_state_on_a_running_server(emulator_running: Running) -> None:
    account = new_account(emulator_running.url)
    twilio = make_client(emulator_running.url, account).conversations.v1
    http = httpx.Client(base_url=emulator_running.url, auth=(account.sid, account.token))
    conv = twilio.conversations.create(state="active", timers_inactive="PT1M", timers_closed="PT10M")
    assert set(conv.timers) == {"date_inactive", "date_closed"}
    idle = twilio.conversations.create(state="active", timers_inactive="PT5M")
    conv_participant = twilio.conversations(conv.sid).participants.create(identity="timer-watcher")
    assert conv_participant.identity == "timer-watcher"

    # Nothing fires before the deadline.
    assert http.post(CLOCK, data={"Advance": "50"}).status_code == 200
    assert twilio.conversations(conv.sid).fetch().state == "active"

    # Past it, the transition has happened by the time the clock's answer arrives.
    http.post(CLOCK, data={"Advance": "15"})
    inactive = http.get(f"/v1/Conversations/{conv.sid}").json()
    assert inactive["state"] == "inactive"
    assert inactive["timers"] == {"date_closed": conv.timers["date_closed"]}
    assert twilio.conversations(idle.sid).fetch().state == "active"

    # A new message re-activates it and pushes the deadlines forward.
    twilio.conversations(conv.sid).messages.create(body="back")
    active = twilio.conversations(conv.sid).fetch()
    assert active.state == "active"
    assert active.timers["date_closed"] > conv.timers["date_closed"]

    http.post(CLOCK, data={"Advance": "601"})
    closed = http.get(f"/v1/Conversations/{conv.sid}").json()
    assert closed["state"] == "closed"
    assert closed["timers"] == {}
    assert twilio.conversations(idle.sid).fetch().state == "inactive"


def test_account_default_timers_and_pt0s(emulator_running: Running) -> None:
    account = new_account(emulator_running.url)
    twilio = make_client(emulator_running.url, account).conversations.v1
    twilio.configuration().update(default_inactive_timer="PT2M", default_closed_timer="PT0S")
    conv = twilio.conversations.create()
    assert set(conv.timers) == {"date_inactive"}
    moved = httpx.post(emulator_running.url + CLOCK, data={"Advance": "121"}, auth=(account.sid, account.token))
    assert moved.status_code == 200
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


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_the_background_sweep_judges_each_account_by_its_own_clock(engine: str, tmp_path: Path) -> None:
    """Deadlines that pass while the server is down are carried out at start by the background
    task: an account whose clock was moved by its own clock, the others by the server's."""
    with serving(engine, tmp_path, extra_args=["--emulator"]) as first:
        ahead, behind = new_account(first.url), new_account(first.url)
        convs = {}
        for account in (ahead, behind):
            twilio = make_client(first.url, account).conversations.v1
            convs[account.sid] = twilio.conversations.create(state="active", timers_inactive="PT2M").sid
        # One account's clock goes 30 s ahead, the other's 60 s back.
        http_ahead = httpx.Client(base_url=first.url, auth=(ahead.sid, ahead.token))
        http_behind = httpx.Client(base_url=first.url, auth=(behind.sid, behind.token))
        assert http_ahead.post(CLOCK, data={"Advance": "30"}).json()["offset_seconds"] == 30
        assert http_behind.post(CLOCK, data={"Advance": "-60"}).json()["offset_seconds"] == -60
        first.server.stop()
        # The server's clock 100 s ahead: 130 s for one account (due), 40 s for the other (not).
        first.server.extra_env["CHINWAG_CLOCK_OFFSET"] = "100"
        first.server.start()
        wait_for_state(http_ahead, convs[ahead.sid], "inactive")
        time.sleep(1.5)  # a few sweeps of the background task
        assert http_behind.get(f"/v1/Conversations/{convs[behind.sid]}").json()["state"] == "active"
