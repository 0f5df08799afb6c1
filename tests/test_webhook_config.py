"""Webhook configuration through twilio-python, on SQLite and PostgreSQL: the account's and a
service's `Configuration/Webhooks` (docs/decisions.md #60-#62, #65). Conversation-scoped webhooks
are in test_conversation_webhooks.py; what the configuration resolves to, in test_webhook_targets.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest.conversations.v1 import V1

from chinwag import bootstrap
from chinwag.domain.webhook_config import HookTarget, WebhookTargets, targets_for
from chinwag.storage.db import open_database
from tests.conftest import Account, Running, error_of, make_client
from tests.support.expect import twilio_error


def test_account_webhooks_before_any_update(twilio: V1, running: Running, account: Account) -> None:
    hooks = twilio.configuration.webhooks().fetch()
    assert hooks.account_sid == account.sid
    assert (hooks.method, hooks.filters, hooks.target) == ("POST", [], "webhook")
    assert hooks.pre_webhook_url is None and hooks.post_webhook_url is None
    assert hooks.url == f"{running.url}/v1/Configuration/Webhooks"


def test_account_webhooks_update_and_keep_what_was_not_sent(twilio: V1) -> None:
    updated = twilio.configuration.webhooks().update(
        method="get",
        filters=["onMessageAdd", "onMessageAdded", "onUserAdded"],
        pre_webhook_url="https://hooks.example/pre",
        post_webhook_url="http://127.0.0.1:9/post?x=1#rc=2&ct=500",
        target="flex",
    )
    assert updated.method == "GET"
    assert updated.filters == ["onMessageAdd", "onMessageAdded", "onUserAdded"]
    assert updated.pre_webhook_url == "https://hooks.example/pre"
    assert updated.post_webhook_url == "http://127.0.0.1:9/post?x=1#rc=2&ct=500"
    assert updated.target == "flex"

    again = twilio.configuration.webhooks().update(method="Post", filters=["onConversationAdded"])
    assert (again.method, again.filters, again.target) == ("POST", ["onConversationAdded"], "flex")
    assert again.pre_webhook_url == "https://hooks.example/pre"

    fetched = twilio.configuration.webhooks().fetch()
    assert (fetched.method, fetched.filters, fetched.post_webhook_url) == (
        "POST",
        ["onConversationAdded"],
        "http://127.0.0.1:9/post?x=1#rc=2&ct=500",
    )


def test_empty_values_clear_urls_and_filters(twilio: V1, http: httpx.Client) -> None:
    twilio.configuration.webhooks().update(
        pre_webhook_url="https://a.example/pre", post_webhook_url="https://a.example/post", filters=["onMessageAdded"]
    )
    cleared = http.post("/v1/Configuration/Webhooks", data={"PreWebhookUrl": "", "Filters": ""})
    assert cleared.status_code == 200, cleared.text
    body = cleared.json()
    assert (body["pre_webhook_url"], body["post_webhook_url"], body["filters"]) == (
        None,
        "https://a.example/post",
        [],
    )


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"method": "PUT"}, "Method"),
        ({"filters": ["onMessageAdded", "onMessageSent"]}, "onMessageSent"),
        ({"filters": ["onmessageadded"]}, "onmessageadded"),
        ({"pre_webhook_url": "ftp://files.example/x"}, "PreWebhookUrl"),
        ({"post_webhook_url": "/relative/path"}, "PostWebhookUrl"),
        ({"post_webhook_url": "https://"}, "PostWebhookUrl"),
        ({"post_webhook_url": "https://host.example:99999/"}, "PostWebhookUrl"),
        ({"post_webhook_url": "https://host.example/a b"}, "PostWebhookUrl"),
        ({"post_webhook_url": "https://h.example/" + "x" * 2100}, "PostWebhookUrl"),
        ({"target": "studio"}, "Target"),
    ],
)
def test_bad_account_values_are_400_and_change_nothing(twilio: V1, params: dict[str, object], names: str) -> None:
    before = twilio.configuration.webhooks().update(post_webhook_url="https://keep.example/", method="GET")
    with twilio_error(400, 20001, names):
        twilio.configuration.webhooks().update(**{"pre_webhook_url": "https://never.example/", **params})
    after = twilio.configuration.webhooks().fetch()
    assert (after.post_webhook_url, after.pre_webhook_url, after.method, after.filters, after.target) == (
        before.post_webhook_url,
        before.pre_webhook_url,
        "GET",
        before.filters,
        before.target,
    )


def test_service_webhooks_fetch_and_update(twilio: V1, running: Running, account: Account) -> None:
    service = twilio.services.create(friendly_name="hooks")
    hooks = twilio.services(service.sid).configuration.webhooks().fetch()
    assert (hooks.account_sid, hooks.chat_service_sid) == (account.sid, service.sid)
    assert (hooks.method, hooks.filters, hooks.pre_webhook_url, hooks.post_webhook_url) == ("POST", [], None, None)
    assert hooks.url == f"{running.url}/v1/Services/{service.sid}/Configuration/Webhooks"

    updated = (
        twilio.services(service.sid)
        .configuration.webhooks()
        .update(
            method="get",
            filters=["onMessageAdded", "onUserUpdated"],  # user events too (docs/decisions.md #62)
            pre_webhook_url="https://svc.example/pre",
            post_webhook_url="https://svc.example/post",
        )
    )
    assert (updated.method, updated.filters) == ("GET", ["onMessageAdded", "onUserUpdated"])
    assert (updated.pre_webhook_url, updated.post_webhook_url) == (
        "https://svc.example/pre",
        "https://svc.example/post",
    )
    # The account level and other services are untouched.
    assert twilio.configuration.webhooks().fetch().post_webhook_url is None
    other = twilio.services.create(friendly_name="other")
    assert twilio.services(other.sid).configuration.webhooks().fetch().post_webhook_url is None

    with twilio_error(400, 20001):
        twilio.services(service.sid).configuration.webhooks().update(filters=["onNothing"])
    assert twilio.services(service.sid).configuration.webhooks().fetch().filters == ["onMessageAdded", "onUserUpdated"]


def test_service_webhooks_of_unknown_or_foreign_services_are_404(twilio: V1, running: Running) -> None:
    mine = twilio.services.create(friendly_name="mine")
    twilio.services(mine.sid).configuration.webhooks().update(post_webhook_url="https://mine.example/")
    sid, token = bootstrap.create_account(running.database_url)
    stranger = make_client(running.url, Account(sid, token)).conversations.v1
    attempts: list[Callable[[], object]] = [
        lambda: stranger.services(mine.sid).configuration.webhooks().fetch(),
        lambda: stranger.services(mine.sid).configuration.webhooks().update(post_webhook_url="https://evil.example/"),
        lambda: twilio.services("IS" + "0" * 32).configuration.webhooks().fetch(),
    ]
    for attempt in attempts:
        with pytest.raises(TwilioRestException) as caught:
            attempt()
        assert (caught.value.status, caught.value.code) == (404, 20404)
    assert twilio.services(mine.sid).configuration.webhooks().fetch().post_webhook_url == "https://mine.example/"


def test_deleting_a_service_removes_its_webhook_configuration(twilio: V1, running: Running) -> None:
    service = twilio.services.create(friendly_name="doomed")
    twilio.services(service.sid).configuration.webhooks().update(post_webhook_url="https://doomed.example/")
    twilio.services(service.sid).delete()
    with pytest.raises(TwilioRestException) as caught:
        twilio.services(service.sid).configuration.webhooks().fetch()
    assert caught.value.status == 404


def test_unknown_method_on_the_webhooks_configuration_is_405(http: httpx.Client) -> None:
    response = http.delete("/v1/Configuration/Webhooks")
    assert response.status_code == 405
    assert error_of(response)["code"] == 20004


def test_configured_through_the_api_resolves_in_targets_for(twilio: V1, running: Running, account: Account) -> None:
    """What the resources store is what the events outbox will read (domain/webhook_config.py)."""
    twilio.configuration.webhooks().update(
        post_webhook_url="https://account.example/post", method="get", filters=["onMessageAdded"], target="flex"
    )
    service = twilio.services.create(friendly_name="own hooks")
    twilio.services(service.sid).configuration.webhooks().update(
        pre_webhook_url="https://svc.example/pre", filters=["onMessageAdd"]
    )
    default_sid = twilio.configuration().fetch().default_chat_service_sid
    conv = twilio.conversations.create(friendly_name="with hooks")
    hook = conv.webhooks.create(
        target="trigger", configuration_url="https://bot.example/", configuration_triggers=["help"]
    )

    async def resolve() -> tuple[WebhookTargets, WebhookTargets]:
        db = open_database(running.database_url)
        await db.start()
        try:
            async with db.read() as tx:
                return (
                    await targets_for(tx, account.sid, default_sid, conv.sid),
                    await targets_for(tx, account.sid, service.sid, None),
                )
        finally:
            await db.close()

    default_targets, service_targets = asyncio.run(resolve())
    assert default_targets.pre == ()
    assert default_targets.post == (
        HookTarget("https://account.example/post", "GET", frozenset({"onMessageAdded"}), "flex"),
        HookTarget(
            "https://bot.example/", "POST", frozenset({"onMessageAdded"}), "trigger", ("help",), webhook_sid=hook.sid
        ),
    )
    # The service has its own (pre-event) URL: the account's post-event URL is not used for it.
    assert service_targets.pre == (
        HookTarget("https://svc.example/pre", "POST", frozenset({"onMessageAdd"}), "webhook"),
    )
    assert service_targets.post == ()


def test_concurrent_partial_updates_are_all_kept(multi_running: Running) -> None:
    """Each update sends one field; two processes apply them at once. None may be lost (the row is
    locked before it is read), whatever the interleaving."""
    sid, token = bootstrap.create_account(multi_running.database_url)
    account = Account(sid, token)
    service = make_client(multi_running.url, account).conversations.v1.services.create(friendly_name="race")
    fields = [
        {"PreWebhookUrl": "https://race.example/pre"},
        {"PostWebhookUrl": "https://race.example/post"},
        {"Filters": "onMessageAdded"},
        {"Method": "GET"},
    ]
    for path in ("/v1/Configuration/Webhooks", f"/v1/Services/{service.sid}/Configuration/Webhooks"):
        for _ in range(6):
            with httpx.Client(base_url=multi_running.url, auth=(sid, token)) as reset:
                cleared = {"PreWebhookUrl": "", "PostWebhookUrl": "", "Filters": "", "Method": "POST"}
                assert reset.post(path, data=cleared).status_code == 200

            def send(data: dict[str, str], path: str = path) -> int:
                with httpx.Client(base_url=multi_running.url, auth=(sid, token), timeout=30) as own:
                    return own.post(path, data=data).status_code

            with ThreadPoolExecutor(4) as pool:
                assert list(pool.map(send, fields)) == [200] * 4
            with httpx.Client(base_url=multi_running.url, auth=(sid, token)) as check:
                body = check.get(path).json()
            assert (body["pre_webhook_url"], body["post_webhook_url"], body["filters"], body["method"]) == (
                "https://race.example/pre",
                "https://race.example/post",
                ["onMessageAdded"],
                "GET",
            )
