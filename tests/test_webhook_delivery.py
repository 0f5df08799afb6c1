"""How post-events are delivered: order, retries, the delivery log, crashes, several processes,
and which addresses may be called. Real servers, real receivers, both engines."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from chinwag import bootstrap
from tests.conftest import Account, Running, make_client, serving
from tests.support.receiver import Answer, Received, receiving
from tests.support.servers import Server, free_port, pg_execute, pg_role_schema, pg_schema
from tests.support.webhooks import ALLOW_LOOPBACK, HOOK_ENV, Hooked, assert_signed, server_log

ON = "true"


def indexes(got: list[Received]) -> list[int]:
    return [int(r.params["Index"]) for r in got]


def test_events_of_a_conversation_arrive_in_commit_order(hooked: Hooked) -> None:
    hooked.configure(filters=["onMessageAdded"])
    convs = [hooked.twilio.conversations.create(friendly_name=f"c{i}").sid for i in range(3)]
    for i in range(30):
        hooked.twilio.conversations(convs[i % 3]).messages.create(body=f"m{i}", x_twilio_webhook_enabled=ON)
    got = hooked.receiver.wait_for(30)
    for sid in convs:
        mine = [r for r in got if r.params["ConversationSid"] == sid]
        assert indexes(mine) == list(range(10))
    tokens = [r.headers["i-twilio-idempotency-token"] for r in got]
    assert len(set(tokens)) == 30


def test_a_receiver_down_for_a_while_gets_everything_in_order(hooked: Hooked) -> None:
    hooked.configure(filters=["onMessageAdded"])
    down_until = time.monotonic() + 4.0
    hooked.receiver.answer = lambda r: Answer(503) if time.monotonic() < down_until else Answer(200)
    conv = hooked.twilio.conversations.create(friendly_name="outage")
    for i in range(8):
        hooked.twilio.conversations(conv.sid).messages.create(body=f"m{i}", x_twilio_webhook_enabled=ON)
    got = hooked.receiver.wait_for(8, timeout=40)
    assert indexes(got) == list(range(8))
    first = [a for a in hooked.receiver.attempts if a.params["Index"] == "0"]
    assert len(first) >= 2  # it was retried
    assert len({a.headers["i-twilio-idempotency-token"] for a in first}) == 1  # same token on each retry
    log = hooked.settled(ConversationSid=conv.sid)
    assert all(d["status"] == "delivered" for d in log)
    assert log[0]["attempts"] >= 2 and isinstance(log[0]["attempts"], int)
    assert f"{hooked.receiver.url}/post" in server_log(hooked.running)  # a line per failed attempt


def test_rc_zero_tries_once_and_the_failure_is_logged(hooked: Hooked) -> None:
    hooked.configure(filters=["onConversationAdded"], post_url=hooked.receiver.url + "/flaky#rc=0")
    hooked.receiver.answer = lambda r: Answer(500, b"boom")
    conv = hooked.twilio.conversations.create(friendly_name="once", x_twilio_webhook_enabled=ON)
    deadline = time.monotonic() + 15
    while True:
        log = hooked.deliveries(Status="failed")
        if log or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(log) == 1, hooked.deliveries()
    d = log[0]
    assert d["attempts"] == 1 and d["response_status"] == 500 and d["response_body"] == "boom"
    assert d["url"] == hooked.receiver.url + "/flaky#rc=0" and d["event_type"] == "onConversationAdded"
    assert d["request_params"]["ConversationSid"] == conv.sid
    assert len(hooked.receiver.attempts) == 1
    assert hooked.receiver.attempts[0].path == "/flaky"  # the fragment is not requested
    assert "/flaky" in server_log(hooked.running) and "HTTP 500" in server_log(hooked.running)


def test_a_client_error_is_not_retried(hooked: Hooked) -> None:
    hooked.configure(filters=["onConversationAdded"])
    hooked.receiver.answer = lambda r: Answer(404)
    hooked.twilio.conversations.create(friendly_name="nobody home", x_twilio_webhook_enabled=ON)
    deadline = time.monotonic() + 10
    while not hooked.deliveries(Status="failed") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [d["attempts"] for d in hooked.deliveries(Status="failed")] == [1]


def test_the_delivery_log_filters_pages_and_replays(hooked: Hooked) -> None:
    hooked.configure(filters=["onConversationAdded", "onMessageAdded"])
    conv = hooked.twilio.conversations.create(friendly_name="log", x_twilio_webhook_enabled=ON)
    other = hooked.twilio.conversations.create(friendly_name="other", x_twilio_webhook_enabled=ON)
    for i in range(3):
        hooked.twilio.conversations(conv.sid).messages.create(body=f"m{i}", x_twilio_webhook_enabled=ON)
    hooked.receiver.wait_for(5)
    hooked.settled()
    assert len(hooked.deliveries(Status="delivered")) == 5
    assert hooked.deliveries(Status="pending") == []
    assert len(hooked.deliveries(EventType="onMessageAdded")) == 3
    assert [d["event_type"] for d in hooked.deliveries(ConversationSid=other.sid)] == ["onConversationAdded"]
    bad = hooked.http.get("/_chinwag/v1/WebhookDeliveries", params={"Status": "lost"})
    assert bad.status_code == 400 and bad.json()["code"] == 20001

    page = hooked.http.get("/_chinwag/v1/WebhookDeliveries", params={"PageSize": "2"}).json()
    assert page["meta"]["key"] == "deliveries" and len(page["deliveries"]) == 2
    seen = [d["sid"] for d in page["deliveries"]]
    while page["meta"]["next_page_url"]:
        page = hooked.http.get(page["meta"]["next_page_url"]).json()
        seen += [d["sid"] for d in page["deliveries"]]
    assert len(seen) == len(set(seen)) == 5
    first = hooked.deliveries()[0]
    assert set(first) >= {
        "sid", "event_type", "url", "method", "status", "attempts", "request_params",
        "response_status", "response_body", "date_created", "date_updated",
    }  # fmt: skip
    assert first["response_status"] == 200 and first["method"] == "POST"

    # The oldest delivery is `conv`'s onConversationAdded; `other`'s went down another lane, so it
    # may have reached the receiver first.
    assert first["event_type"] == "onConversationAdded"
    original = next(
        r
        for r in hooked.receiver.requests
        if r.params["EventType"] == "onConversationAdded" and r.params["ConversationSid"] == conv.sid
    )
    replayed = hooked.http.post(f"/_chinwag/v1/WebhookDeliveries/{first['sid']}/Replay")
    assert replayed.status_code == 201, replayed.text
    assert replayed.json()["sid"] != first["sid"] and replayed.json()["status"] in ("pending", "delivered")
    again = hooked.receiver.wait_for(6)[-1]
    assert again.params == original.params
    assert again.headers["i-twilio-idempotency-token"] == original.headers["i-twilio-idempotency-token"]
    assert_signed(hooked.receiver, hooked.account, again)
    missing = hooked.http.post("/_chinwag/v1/WebhookDeliveries/WD" + "0" * 32 + "/Replay")
    assert missing.status_code == 404
    # Another account sees none of it.
    stranger = bootstrap.create_account(hooked.running.database_url)
    alien = httpx.get(f"{hooked.running.url}/_chinwag/v1/WebhookDeliveries", auth=stranger)
    assert alien.status_code == 200 and alien.json()["deliveries"] == []
    assert httpx.get(f"{hooked.running.url}/_chinwag/v1/WebhookDeliveries").status_code == 401


@pytest.mark.parametrize("engine", ["sqlite"])
def test_non_public_addresses_are_refused_outside_emulator_mode(engine: str, tmp_path: Path) -> None:
    with receiving() as receiver, serving(engine, tmp_path, {"CHINWAG_WEBHOOK_POLL": "0.2"}) as running:
        account = Account(*bootstrap.create_account(running.database_url))
        twilio = make_client(running.url, account).conversations.v1
        twilio.configuration.webhooks().update(filters=["onConversationAdded"], post_webhook_url=receiver.url + "/x")
        twilio.conversations.create(friendly_name="ssrf", x_twilio_webhook_enabled=ON)
        deadline = time.monotonic() + 10
        log: list[dict[str, object]] = []
        while not log and time.monotonic() < deadline:
            log = httpx.get(
                f"{running.url}/_chinwag/v1/WebhookDeliveries",
                params={"Status": "failed"},
                auth=(account.sid, account.token),
            ).json()["deliveries"]
            time.sleep(0.2)
        assert len(log) == 1 and log[0]["attempts"] == 1
        assert "refused" in str(log[0]["error"]) and "127.0.0.1" in str(log[0]["error"])
        assert receiver.attempts == []
        assert "refused" in server_log(running)


@pytest.mark.parametrize("engine", ["sqlite"])
def test_emulator_mode_delivers_to_loopback(engine: str, tmp_path: Path) -> None:
    with receiving() as receiver, serving(engine, tmp_path, {"CHINWAG_WEBHOOK_POLL": "0.2"}, ["--emulator"]) as running:
        account = Account(*bootstrap.create_account(running.database_url))
        twilio = make_client(running.url, account).conversations.v1
        twilio.configuration.webhooks().update(filters=["onConversationAdded"], post_webhook_url=receiver.url + "/x")
        twilio.conversations.create(friendly_name="local", x_twilio_webhook_enabled=ON)
        assert receiver.wait_for(1)[0].params["FriendlyName"] == "local"


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_kill_9_loses_no_event(engine: str, tmp_path: Path) -> None:
    """Events committed while the receiver fails are all delivered after a kill -9 and restart."""
    with receiving() as receiver, serving(engine, tmp_path, HOOK_ENV, ALLOW_LOOPBACK) as running:
        account = Account(*bootstrap.create_account(running.database_url))
        twilio = make_client(running.url, account).conversations.v1
        twilio.configuration.webhooks().update(filters=["onMessageAdded"], post_webhook_url=receiver.url + "/k")
        receiver.answer = lambda r: Answer(503)
        conv = twilio.conversations.create(friendly_name="crash")
        for i in range(20):
            twilio.conversations(conv.sid).messages.create(body=f"m{i}", x_twilio_webhook_enabled=ON)
        server = running.server
        assert server.process is not None
        children = _children(server)  # listed first: once the parent is gone they are not its own
        os.kill(server.process.pid, signal.SIGKILL)  # granian's main process
        for pid in children:  # its workers (and the delivery process) outlive it for a moment
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        server.process.wait()
        server.process = None
        receiver.answer = lambda r: Answer(200)
        server.start()
        got = receiver.wait_for(20, timeout=60)
        assert sorted({int(r.params["Index"]) for r in got}) == list(range(20))
        unique = {r.headers["i-twilio-idempotency-token"]: int(r.params["Index"]) for r in got}
        assert sorted(unique.values()) == list(range(20))


def _children(server: Server) -> list[int]:
    import subprocess

    assert server.process is not None
    out = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def test_two_processes_on_one_postgres_deliver_each_event_once(tmp_path: Path) -> None:
    """Two `chinwag serve` (one with --workers 2) on one PostgreSQL database: every event exactly
    once, in order per conversation."""
    with receiving() as receiver, pg_schema() as url:
        servers = [
            Server(url, free_port(), tmp_path / "a.log", HOOK_ENV, [*ALLOW_LOOPBACK, "--workers", "2"]),
            Server(url, free_port(), tmp_path / "b.log", HOOK_ENV, ALLOW_LOOPBACK),
        ]
        try:
            servers[0].start()
            servers[1].start()
            account = Account(*bootstrap.create_account(url))
            clients = [make_client(s.url, account).conversations.v1 for s in servers]
            clients[0].configuration.webhooks().update(filters=["onMessageAdded"], post_webhook_url=receiver.url + "/x")
            convs = [clients[0].conversations.create(friendly_name=f"c{i}").sid for i in range(4)]
            total = 120
            for i in range(total):
                clients[i % 2].conversations(convs[i % 4]).messages.create(body=f"m{i}", x_twilio_webhook_enabled=ON)
            got = receiver.wait_for(total, timeout=60)
            time.sleep(2.0)  # any duplicate would arrive meanwhile
            tokens = Counter(r.headers["i-twilio-idempotency-token"] for r in receiver.requests)
            assert len(tokens) == total and max(tokens.values()) == 1, tokens.most_common(3)
            for sid in convs:
                assert indexes([r for r in got if r.params["ConversationSid"] == sid]) == list(range(total // 4))
        finally:
            for s in servers:
                s.stop()


def test_running_fixture_unaffected(running: Running) -> None:
    """The plain test server (no --webhook-allow) starts and serves with the dispatcher running."""
    assert httpx.get(running.url + "/health").status_code == 200


def _delivery_process(server: Server) -> int:
    for pid in _children(server):
        with contextlib.suppress(FileNotFoundError):
            if b"chinwag.events.delivery_process" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
    raise AssertionError("chinwag serve runs no delivery process")


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":  # exited, not yet reaped
            return True
        time.sleep(0.05)
    return False


def test_the_delivery_process_is_started_again_and_dies_with_its_server(tmp_path: Path) -> None:
    """`chinwag serve` delivers from a process of its own (events/delivery_process.py): killed,
    it is started again and delivers what was committed meanwhile; a server killed with -9
    takes it along (nothing keeps delivering for a dead server)."""
    with receiving() as receiver, serving("sqlite", tmp_path, HOOK_ENV, ALLOW_LOOPBACK) as running:
        account = Account(*bootstrap.create_account(running.database_url))
        twilio = make_client(running.url, account).conversations.v1
        twilio.configuration.webhooks().update(filters=["onMessageAdded"], post_webhook_url=receiver.url + "/d")
        conv = twilio.conversations.create(friendly_name="supervised")
        twilio.conversations(conv.sid).messages.create(body="before", x_twilio_webhook_enabled=ON)
        receiver.wait_for(1)
        time.sleep(1)  # its outcome recorded (a lane killed mid-send is sent again after its lease)
        server = running.server
        first = _delivery_process(server)
        os.kill(first, signal.SIGKILL)
        assert _gone(first)
        twilio.conversations(conv.sid).messages.create(body="while it was down", x_twilio_webhook_enabled=ON)
        got = receiver.wait_for(2, timeout=20)
        assert [r.params["Body"] for r in got] == ["before", "while it was down"]
        second = _delivery_process(server)
        assert second != first
        assert server.process is not None
        workers = [pid for pid in _children(server) if pid != second]  # listed while still its children
        os.kill(server.process.pid, signal.SIGKILL)
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        server.process.wait()
        server.process = None
        assert _gone(second), "the delivery process outlived its server"


def _log_once_it_says(server: Server, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        log = Path(server.log_path).read_text(errors="replace")
        if text in log:
            return log
        assert time.monotonic() < deadline, f"the log never said {text!r}: {log[-2000:]}"
        time.sleep(0.1)


def test_the_delivery_process_waits_for_a_database_that_refuses_it(tmp_path: Path) -> None:
    """PostgreSQL refuses new connections (at max_connections, here for the server's role) just
    when the delivery process starts again: it says so once, without a traceback, keeps trying
    (it is not restarted each second), and delivers what waited once it is let in."""
    with receiving() as receiver, pg_role_schema() as (url, role):
        server = Server(url, free_port(), tmp_path / "server.log", HOOK_ENV, ALLOW_LOOPBACK)
        server.start()
        try:
            account = Account(*bootstrap.create_account(url))
            twilio = make_client(server.url, account).conversations.v1
            twilio.configuration.webhooks().update(filters=["onMessageAdded"], post_webhook_url=receiver.url + "/r")
            conv = twilio.conversations.create(friendly_name="refused")
            twilio.conversations(conv.sid).messages.create(body="before", x_twilio_webhook_enabled=ON)
            receiver.wait_for(1)
            time.sleep(1)  # its outcome recorded
            # Connections already open stay; every new one of the role is refused (SQLSTATE 53300).
            pg_execute(f"ALTER ROLE {role} CONNECTION LIMIT 0")
            first = _delivery_process(server)
            os.kill(first, signal.SIGKILL)
            assert _gone(first)
            twilio.conversations(conv.sid).messages.create(body="while refused", x_twilio_webhook_enabled=ON)
            log = _log_once_it_says(server, "too many connections", timeout=30)  # the new process's first try
            assert "in the webhook delivery process" in log
            time.sleep(3)  # a few more tries, each refused
            log = Path(server.log_path).read_text(errors="replace")
            assert "Traceback" not in log
            assert log.count("the webhook delivery process exited") == 1  # the kill; the new one waits
            assert len(receiver.requests) == 1
            pg_execute(f"ALTER ROLE {role} CONNECTION LIMIT -1")
            got = receiver.wait_for(2, timeout=20)
            assert [r.params["Body"] for r in got] == ["before", "while refused"]
        finally:
            server.stop()
