"""Snapshots (emulator mode): `GET/PUT /_chinwag/v1/Snapshot`, `chinwag snapshot export|import`,
`chinwag serve --emulator --import FILE`, and `--sid-seed`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import Account, Running, empty_database_url, error_of, make_client, new_account, serving
from tests.support.emulated import Emulated, build_world, emulated
from tests.support.servers import BOOT_ACCOUNT_SID, BOOT_AUTH_TOKEN


def _snapshot(e: Emulated) -> bytes:
    response = e.http.get("/_chinwag/v1/Snapshot")
    assert response.status_code == 200, response.text
    return response.content


def _unread(e: Emulated, identity: str) -> dict[str, Any]:
    return {uc.conversation_sid: uc.unread_messages_count for uc in e.twilio.users(identity).user_conversations.list()}


def test_a_snapshot_is_readable_versioned_and_deterministic(emulator_running: Running) -> None:
    e = emulated(emulator_running.url)
    world = build_world(e)
    first = _snapshot(e)
    assert _snapshot(e) == first  # same state, same bytes
    doc = orjson.loads(first)
    assert doc["chinwag_snapshot"] == 1
    assert e.account.sid not in first.decode()  # it names no account: it loads into any
    assert {s["sid"] for s in doc["services"]} >= {world["service"]}
    (conv,) = [c for c in doc["conversations"] if c["sid"] == world["conversation"]]
    assert conv["next_message_index"] == 5 and conv["date_closed"] is not None
    (alice,) = [p for p in doc["participants"] if p["identity"] == "alice"]
    assert alice["last_read_message_index"] == 1
    assert sorted(m["msg_index"] for m in doc["messages"] if m["conversation_sid"] == conv["sid"]) == [0, 1, 2, 3]
    assert doc["configuration"]["default_inactive_timer"] == "PT5M"
    assert [h["post_webhook_url"] for h in doc["account_webhooks"]] == ["http://127.0.0.1:9/post"]
    assert [h["chat_service_sid"] for h in doc["service_webhooks"]] == [world["service"]]
    assert [h["conversation_sid"] for h in doc["conversation_webhooks"]] == [world["conversation"]]


def test_put_restores_the_state_exactly_and_it_behaves_as_before(emulator_running: Running) -> None:
    e = emulated(emulator_running.url)
    world = build_world(e)
    saved = _snapshot(e)
    unread_before = _unread(e, "alice")
    assert unread_before[world["conversation"]] == 2

    # Change everything, then put the snapshot back.
    e.http.post("/_chinwag/v1/Reset")
    e.twilio.users.create(identity="zed")
    e.http.post("/_chinwag/v1/Clock", data={"Advance": "60"})
    response = e.http.put("/_chinwag/v1/Snapshot", content=saved)
    assert response.status_code == 200, response.text
    assert response.content == saved
    assert _snapshot(e) == saved
    assert e.http.get("/_chinwag/v1/Clock").json()["offset_seconds"] == 60  # not part of a snapshot

    assert _unread(e, "alice") == unread_before
    assert e.twilio.configuration.webhooks().fetch().filters == ["onMessageAdded"]
    assert len(e.twilio.conversations(world["conversation"]).webhooks.list()) == 1
    assert e.twilio.users("alice").fetch().sid == world["alice"]
    assert [u.identity for u in e.twilio.users.list()] == ["alice", "bob"]
    # The next message takes the stored next index (4 was used, then deleted), and counts as unread.
    posted = e.twilio.conversations(world["conversation"]).messages.create(author="bob", body="again")
    assert posted.index == 5
    assert _unread(e, "alice")[world["conversation"]] == 3
    # The timers kept their deadlines: 20 minutes on, the conversation closes.
    e.http.post("/_chinwag/v1/Clock", data={"Advance": str(20 * 60)})
    assert e.twilio.conversations(world["conversation"]).fetch().state == "closed"


def _broken(saved: bytes) -> list[bytes]:
    doc = orjson.loads(saved)

    def variant(change: Any) -> bytes:
        copy = orjson.loads(saved)
        change(copy)
        return orjson.dumps(copy)

    return [
        b"",
        b"{not json",
        b"[]",
        orjson.dumps({"services": []}),
        variant(lambda d: d.update(chinwag_snapshot=2)),
        variant(lambda d: d.update(chinwag_snapshot="1")),
        variant(lambda d: d.update(extra=[])),
        variant(lambda d: d["users"][0].pop("identity")),
        variant(lambda d: d["users"][0].update(nickname="x")),
        variant(lambda d: d["users"][0].update(identity=5)),
        variant(lambda d: d["users"][0].update(sid="not-a-sid")),
        variant(lambda d: d["users"][0].update(chat_service_sid="IS" + "0" * 32)),
        variant(lambda d: d["users"].append(dict(d["users"][0]))),
        variant(lambda d: d["messages"][0].update(msg_index=99)),
        variant(lambda d: d["configuration"].update(default_chat_service_sid=None)),
        variant(lambda d: d["conversations"][0].update(next_message_index=True)),
        # Unique per service: two users with one identity.
        variant(lambda d: d["users"][1].update(identity=doc["users"][0]["identity"])),
    ]


def test_bad_documents_are_400_and_change_nothing(emulator_running: Running) -> None:
    e = emulated(emulator_running.url)
    build_world(e)
    saved = _snapshot(e)
    e.twilio.users.create(identity="after")
    current = _snapshot(e)
    for body in _broken(saved):
        response = e.http.put("/_chinwag/v1/Snapshot", content=body)
        assert response.status_code == 400, (body[:200], response.text)
        assert error_of(response)["code"] == 20001
        assert _snapshot(e) == current
    assert "version 2" in e.http.put("/_chinwag/v1/Snapshot", content=_broken(saved)[4]).json()["message"]


def test_another_accounts_sids_cannot_be_imported_over(emulator_running: Running) -> None:
    owner, thief = emulated(emulator_running.url), emulated(emulator_running.url)
    build_world(owner)
    before = _snapshot(thief)
    response = thief.http.put("/_chinwag/v1/Snapshot", content=_snapshot(owner))
    assert response.status_code == 400
    assert _snapshot(thief) == before


def _chinwag(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "chinwag", *args], env={**os.environ, **(env or {})}, capture_output=True, timeout=120
    )


def test_the_command_line_moves_a_snapshot_between_databases(emulator_running: Running, tmp_path: Path) -> None:
    e = emulated(emulator_running.url)
    world = build_world(e)
    saved = _snapshot(e)
    file = tmp_path / "world.json"
    done = _chinwag(
        "snapshot", "export", "--database", emulator_running.database_url, "--account", e.account.sid, str(file)
    )
    assert done.returncode == 0, done.stderr
    assert file.read_bytes() == saved

    # Into a new database, for an account it lacks (created with CHINWAG_AUTH_TOKEN).
    for sub in ("copy", "served"):
        (tmp_path / sub).mkdir()
    with empty_database_url(emulator_running.engine, tmp_path / "copy") as url:
        sid = "AC" + "ab" * 16
        missing = _chinwag("snapshot", "import", "--database", url, "--account", sid, str(file))
        assert missing.returncode == 1 and b"CHINWAG_AUTH_TOKEN" in missing.stderr
        done = _chinwag(
            "snapshot", "import", "--database", url, "--account", sid, str(file), env={"CHINWAG_AUTH_TOKEN": "t" * 32}
        )
        assert done.returncode == 0, done.stderr
        again = _chinwag("snapshot", "export", "--database", url, "--account", sid, "-")
        assert again.stdout == saved
        bad = tmp_path / "bad.json"
        bad.write_bytes(saved.replace(b'"chinwag_snapshot": 1', b'"chinwag_snapshot": 7'))
        refused = _chinwag("snapshot", "import", "--database", url, "--account", sid, str(bad))
        assert refused.returncode == 1 and b"version 7" in refused.stderr

        # `serve --emulator --import` loads it into the environment's account at start.
        with serving(
            emulator_running.engine, tmp_path / "served", extra_args=["--emulator", "--import", str(file)]
        ) as s:
            served = httpx.get(s.url + "/_chinwag/v1/Snapshot", auth=(BOOT_ACCOUNT_SID, BOOT_AUTH_TOKEN))
            assert served.content == saved
            twilio = make_client(s.url, Account(BOOT_ACCOUNT_SID, BOOT_AUTH_TOKEN)).conversations.v1
            assert twilio.users("alice").fetch().sid == world["alice"]


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_a_sid_seed_gives_the_same_sids_run_after_run(engine: str, tmp_path: Path) -> None:
    def run(n: int) -> list[str]:
        with serving(engine, tmp_path / str(n), extra_args=["--emulator", "--sid-seed", "42"]) as s:
            account = new_account(s.url)
            twilio = make_client(s.url, account).conversations.v1
            user = twilio.users.create(identity="alice")
            conv = twilio.conversations.create(friendly_name="c")
            part = twilio.conversations(conv.sid).participants.create(identity="alice")
            msg = twilio.conversations(conv.sid).messages.create(body="hi")
            return [account.sid, account.token, user.sid, conv.sid, part.sid, msg.sid]

    for n in (1, 2):
        (tmp_path / str(n)).mkdir()
    first, second = run(1), run(2)
    assert first == second
    assert len(set(first)) == len(first)
