"""Three `chinwag serve` processes on three ports, one database, behave as one server (issue 14):
a conversation timer fires once, a webhook event is delivered once with all three dispatching, and
a credential changed through one process is refused by the other two within a second.

Each process stands for a host: its own port, its own pools, its own timer task, dispatcher and
credential cache; they share nothing but the database. Engines: PostgreSQL directly, PostgreSQL
through pgbouncer in transaction pooling mode (LISTEN on a direct connection), and SQLite (three
processes on one file, as on one host).
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from twilio.rest import Client

from chinwag.core.clock import iso
from tests.conftest import Account, error_of, make_client, new_account
from tests.support.pgbouncer import pgbouncer
from tests.support.receiver import Answer, receiving
from tests.support.servers import Server, free_port, pg_schema
from tests.support.webhooks import ALLOW_LOOPBACK

PROCESSES = 3
ENV = {
    "CHINWAG_TIMER_INTERVAL": "0.05",  # every process sweeps often: they really race for due rows
    "CHINWAG_WEBHOOK_POLL": "0.2",
}
ON = "true"  # X-Twilio-Webhook-Enabled: a REST change fires its post-events


class Cluster:
    def __init__(self, servers: list[Server]) -> None:
        self.servers = servers

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers]


@pytest.fixture(scope="module", params=["sqlite", "postgres", "pgbouncer"])
def cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp(f"three-{request.param}")
    with ExitStack() as stack:
        env = dict(ENV)
        if request.param == "sqlite":
            url = f"sqlite:///{tmp / 'shared.db'}"
        else:
            url = stack.enter_context(pg_schema())
            if request.param == "pgbouncer":
                env["CHINWAG_LISTEN_DATABASE"] = url  # LISTEN straight to PostgreSQL
                url = stack.enter_context(pgbouncer(url.rsplit("search_path=", 1)[1]))
        servers = [
            Server(url, free_port(), tmp / f"server-{n}.log", dict(env), [*ALLOW_LOOPBACK, "--emulator"])
            for n in range(PROCESSES)
        ]
        for server in servers:
            stack.callback(server.stop)
            server.start()
        yield Cluster(servers)


def test_a_timer_fires_once(cluster: Cluster) -> None:
    """Many conversations fall due at one moment; every process sweeps them (its background sweep
    every 50 ms, and each is told the clock moved at the same instant). Each conversation moves
    exactly once: one state change, one onConversationStateUpdated."""
    account = new_account(cluster.urls[0])
    clients = [make_client(url, account).conversations.v1 for url in cluster.urls]
    with receiving() as receiver:
        clients[0].configuration.webhooks().update(
            post_webhook_url=receiver.url + "/post", filters=["onConversationStateUpdated"], method="POST"
        )
        sids = [
            clients[n % PROCESSES].conversations.create(state="active", timers_inactive="PT1M").sid for n in range(40)
        ]
        # All three are told, at one instant, that the account's clock is two minutes on.
        later = iso(time.time() + 120)
        barrier = threading.Barrier(PROCESSES)
        answers: list[int] = []

        def move(url: str) -> None:
            barrier.wait()
            moved = httpx.post(url + "/_chinwag/v1/Clock", data={"Now": later}, auth=(account.sid, account.token))
            answers.append(moved.status_code)

        threads = [threading.Thread(target=move, args=(url,)) for url in cluster.urls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert answers == [200] * PROCESSES
        for n, sid in enumerate(sids):
            assert clients[n % PROCESSES].conversations(sid).fetch().state == "inactive"
        got = receiver.wait_for(len(sids), event="onConversationStateUpdated")
        time.sleep(1.0)  # a second transition would have been delivered by now
        fired = Counter(r.params["ConversationSid"] for r in receiver.requests)
    assert fired == dict.fromkeys(sids, 1), fired
    assert {(r.params["StateFrom"], r.params["StateTo"], r.params["Reason"]) for r in got} == {
        ("active", "inactive", "TIMER")
    }
    log = deliveries(cluster.urls[1], account, "onConversationStateUpdated")
    assert Counter(d["conversation_sid"] for d in log) == dict.fromkeys(sids, 1)


def deliveries(url: str, account: Account, event: str) -> list[dict[str, object]]:
    response = httpx.get(
        url + "/_chinwag/v1/WebhookDeliveries",
        params={"PageSize": "1000", "EventType": event},
        auth=(account.sid, account.token),
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, object]] = response.json()["deliveries"]
    return found


def test_a_webhook_is_delivered_once(cluster: Cluster) -> None:
    """Events written through all three processes, each dispatching: every one reaches the receiver
    once (many lanes, so the dispatchers really compete; a slow receiver keeps lanes in flight)."""
    account = new_account(cluster.urls[0])
    clients = [make_client(url, account).conversations.v1 for url in cluster.urls]
    with receiving() as receiver:
        receiver.answer = lambda _: Answer(delay=0.02)
        clients[0].configuration.webhooks().update(
            post_webhook_url=receiver.url + "/post", filters=["onMessageAdded"], method="POST"
        )
        convs = [clients[n % PROCESSES].conversations.create().sid for n in range(12)]
        sent = []
        for n in range(36):
            conv = convs[n % len(convs)]
            message = (
                clients[n % PROCESSES]
                .conversations(conv)
                .messages.create(body=f"m{n}", author="writer", x_twilio_webhook_enabled=ON)
            )
            sent.append((conv, message.index, message.sid))
        got = receiver.wait_for(len(sent), event="onMessageAdded")
        time.sleep(1.0)  # a repeat would have arrived by now
        delivered = Counter(r.params["MessageSid"] for r in receiver.requests)
        tokens = Counter(r.headers["i-twilio-idempotency-token"] for r in receiver.requests)
    assert delivered == {sid: 1 for _, _, sid in sent}, delivered
    assert all(count == 1 for count in tokens.values())
    # In order within each conversation (one lane each), whichever process delivered it.
    for conv in convs:
        indexes = [int(r.params["Index"]) for r in got if r.params["ConversationSid"] == conv]
        assert indexes == sorted(indexes), (conv, indexes)
    assert {d["status"] for d in deliveries(cluster.urls[2], account, "onMessageAdded")} == {"delivered"}


ROUNDS = 12  # requests per process and check, each on a new connection
SETTLE = 1.0  # the promise: every process refuses a changed credential within a second


def answers(url: str, auth: tuple[str, str]) -> set[int]:
    return {httpx.get(url + "/v1/Users", auth=auth).status_code for _ in range(ROUNDS)}


def refused(url: str, auth: tuple[str, str]) -> None:
    for _ in range(ROUNDS):
        response = httpx.get(url + "/v1/Users", auth=auth)
        assert response.status_code == 401, (url, response.text)
        assert error_of(response)["code"] == 20003


def api_client(url: str, account: Account) -> Client:
    """twilio-python with its 2010 API (Keys) pointed at one process too."""
    client = make_client(url, account)
    client.api.base_url = url
    return client


def test_a_deleted_key_is_refused_by_every_process(cluster: Cluster) -> None:
    account = new_account(cluster.urls[0])
    made = api_client(cluster.urls[0], account).api.v2010.accounts(account.sid).new_keys.create(friendly_name="k")
    key = (made.sid, made.secret)
    for url in cluster.urls:  # each process has verified the key and remembers it
        assert answers(url, key) == {200}
    assert api_client(cluster.urls[0], account).api.v2010.accounts(account.sid).keys(made.sid).delete()
    time.sleep(SETTLE)
    for url in cluster.urls:
        refused(url, key)
        assert answers(url, (account.sid, account.token)) == {200}


def test_a_rotated_auth_token_is_refused_by_every_process(cluster: Cluster) -> None:
    """The auth token is rotated through one process: restarted with a new CHINWAG_AUTH_TOKEN for
    the account, as an operator rotates it. The other two, which never restarted, refuse the old
    token within a second of that process being up, and take the new one."""
    account = new_account(cluster.urls[0])
    first, *others = cluster.servers
    for server in cluster.servers:
        assert answers(server.url, (account.sid, account.token)) == {200}
    new_token = os.urandom(16).hex()
    first.stop()
    first.extra_env.update({"CHINWAG_ACCOUNT_SID": account.sid, "CHINWAG_AUTH_TOKEN": new_token})
    first.start()
    time.sleep(SETTLE)
    for server in others:
        refused(server.url, (account.sid, account.token))
        assert answers(server.url, (account.sid, new_token)) == {200}
    refused(first.url, (account.sid, account.token))


def test_each_process_has_its_own_log(cluster: Cluster) -> None:
    """The three really are three servers (three ports, three logs), not one answering thrice."""
    ports = {server.port for server in cluster.servers}
    assert len(ports) == PROCESSES
    for server in cluster.servers:
        text = Path(server.log_path).read_text(errors="replace")
        assert f"http://127.0.0.1:{server.port}" in text
        assert "Traceback" not in text, text[-3000:]
