"""Shared pieces of the webhook delivery tests: a server that may deliver to loopback, a fresh
account per test with its webhooks pointed at a real receiver, and checks on what arrived."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from twilio.request_validator import RequestValidator
from twilio.rest.conversations.v1 import V1

from chinwag import bootstrap
from tests.conftest import ENGINES, Account, Running, make_client, serving
from tests.support.receiver import Received, Receiver, receiving

ALL_EVENTS = [
    "onMessageAdd",
    "onMessageAdded",
    "onMessageUpdate",
    "onMessageUpdated",
    "onMessageRemove",
    "onMessageRemoved",
    "onConversationAdd",
    "onConversationAdded",
    "onConversationUpdate",
    "onConversationUpdated",
    "onConversationRemove",
    "onConversationRemoved",
    "onParticipantAdd",
    "onParticipantAdded",
    "onParticipantUpdate",
    "onParticipantUpdated",
    "onParticipantRemove",
    "onParticipantRemoved",
    "onConversationStateUpdated",
    "onUserAdded",
    "onUserUpdate",
    "onUserUpdated",
]
HOOK_ENV = {"CHINWAG_WEBHOOK_POLL": "0.2"}
ALLOW_LOOPBACK = ["--webhook-allow", "127.0.0.0/8"]


@dataclass
class Hooked:
    running: Running
    account: Account
    twilio: V1
    receiver: Receiver
    http: httpx.Client

    def configure(self, *, post: bool = True, pre: bool = False, filters: list[str] | None = None, **kw: Any) -> None:
        """Point the account's webhooks at the receiver (`/post`, `/pre`)."""
        args: dict[str, Any] = {"filters": filters or ALL_EVENTS, "method": kw.pop("method", "POST")}
        if post:
            args["post_webhook_url"] = kw.pop("post_url", self.receiver.url + "/post")
        if pre:
            args["pre_webhook_url"] = kw.pop("pre_url", self.receiver.url + "/pre")
        self.twilio.configuration.webhooks().update(**args)

    def deliveries(self, **params: str) -> list[dict[str, Any]]:
        response = self.http.get("/_chinwag/v1/WebhookDeliveries", params={"PageSize": "1000", **params})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["deliveries"]
        return found

    def settled(self, timeout: float = 15.0, **params: str) -> list[dict[str, Any]]:
        """The delivery log once nothing in it is pending any more."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.deliveries(**params)
            if all(d["status"] != "pending" for d in found) or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def as_client(self, identity: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.running.url,
            auth=(self.account.sid, self.account.token),
            headers={"X-Chinwag-Client-Identity": identity},
        )


def events(received: list[Received]) -> list[str]:
    return [r.params["EventType"] for r in received]


def assert_signed(receiver: Receiver, account: Account, got: Received) -> None:
    """twilio-python's RequestValidator accepts the request for the URL exactly as it was called."""
    url = receiver.url + got.path
    params = got.params if got.method == "POST" else {}
    assert RequestValidator(account.token).validate(url, params, got.headers["x-twilio-signature"]), got


@pytest.fixture(scope="module", params=ENGINES)
def hook_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A server that may deliver to loopback (`--webhook-allow 127.0.0.0/8`), polling fast."""
    with serving(request.param, tmp_path_factory.mktemp("hooks"), HOOK_ENV, [*ALLOW_LOOPBACK, "--emulator"]) as server:
        yield server


@pytest.fixture
def hooked(hook_server: Running) -> Iterator[Hooked]:
    sid, token = bootstrap.create_account(hook_server.database_url)
    account = Account(sid, token)
    with receiving() as receiver, httpx.Client(base_url=hook_server.url, auth=(sid, token), timeout=30) as http:
        yield Hooked(hook_server, account, make_client(hook_server.url, account).conversations.v1, receiver, http)


def server_log(running: Running) -> str:
    return Path(running.server.log_path).read_text(errors="replace")
