"""`targets_for` and `fires` (domain/webhook_config.py) against a real database on both engines.

The configuration is written through the storage layer (the resources' own tests drive it through
twilio-python); here the resolution rules are checked: service over account, conversation hooks
added in creation order, other conversations and accounts never seen, and the event matching.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from chinwag.domain.webhook_config import HookTarget, WebhookTargets, fires, targets_for
from chinwag.domain.webhook_models import ConversationWebhook, WebhookConfig
from chinwag.storage import migrate
from chinwag.storage.db import Tx, open_database
from chinwag.storage.repos import webhooks as repo

T = TypeVar("T")

AC, AC2 = "AC" + "1" * 32, "AC" + "2" * 32
IS, IS2, IS_OTHER = "IS" + "1" * 32, "IS" + "2" * 32, "IS" + "9" * 32
CH, CH2, CH_OTHER = "CH" + "1" * 32, "CH" + "2" * 32, "CH" + "9" * 32


def _seed(url: str) -> None:
    """Two accounts; AC has services IS (conversations CH, CH2) and IS2; AC2 has IS_OTHER/CH_OTHER."""

    async def seed(tx: Tx) -> None:
        for account in (AC, AC2):
            await tx.run("INSERT INTO accounts (sid, auth_token, date_created) VALUES (?, 't', 'd')", account)
        for service, account in ((IS, AC), (IS2, AC), (IS_OTHER, AC2)):
            await tx.run(
                "INSERT INTO services (sid, account_sid, friendly_name, date_created, date_updated)"
                " VALUES (?, ?, 's', 'd', 'd')",
                service,
                account,
            )
        for conversation, service, account in ((CH, IS, AC), (CH2, IS, AC), (CH_OTHER, IS_OTHER, AC2)):
            await tx.run(
                "INSERT INTO conversations (sid, account_sid, chat_service_sid, attributes, state, created_by,"
                " date_created, date_updated) VALUES (?, ?, ?, '{}', 'active', 'system', 'd', 'd')",
                conversation,
                account,
                service,
            )

    _in_write(url, seed)


def _run(url: str, work: Callable[[Tx], Awaitable[T]], *, write: bool) -> T:
    async def main() -> T:
        db = open_database(url)
        await db.start()
        try:
            async with db.write() if write else db.read() as tx:
                return await work(tx)
        finally:
            await db.close()

    return asyncio.run(main())


def _in_write(url: str, work: Callable[[Tx], Awaitable[T]]) -> T:
    return _run(url, work, write=True)


def _targets(url: str, account: str, service: str, conversation: str | None) -> WebhookTargets:
    return _run(url, lambda tx: targets_for(tx, account, service, conversation), write=False)


def _config(account: str, service: str | None, pre: str | None, post: str | None, **kw: object) -> WebhookConfig:
    return WebhookConfig(
        account,
        service,
        str(kw.get("method", "POST")),
        tuple(kw.get("filters", ("onMessageAdd", "onMessageAdded"))),  # type: ignore[arg-type]
        pre,
        post,
        str(kw.get("target", "webhook")),
    )


_seq = iter(range(10, 10**6))


def _hook(conversation: str, target: str, url: str | None, **kw: object) -> ConversationWebhook:
    n = next(_seq)
    account, service = (AC2, IS_OTHER) if conversation == CH_OTHER else (AC, IS)
    return ConversationWebhook(
        0,
        f"WH{n:032x}",
        account,
        service,
        conversation,
        target,
        url,
        str(kw.get("method", "POST")),
        tuple(kw.get("filters", ())),  # type: ignore[arg-type]
        tuple(kw.get("triggers", ())),  # type: ignore[arg-type]
        kw.get("flow_sid"),  # type: ignore[arg-type]
        None,
        "d",
        "d",
    )


def _save(url: str, *items: WebhookConfig | ConversationWebhook) -> None:
    async def save(tx: Tx) -> None:
        for item in items:
            if isinstance(item, WebhookConfig):
                await repo.save_config(tx, item)
            else:
                await repo.insert(tx, item)

    _in_write(url, save)


@pytest.fixture
def database(empty_database: str) -> str:
    migrate.upgrade(empty_database)
    _seed(empty_database)
    return empty_database


def test_nothing_configured_is_no_targets(database: str) -> None:
    found = _targets(database, AC, IS, CH)
    assert found == WebhookTargets((), ()) and not found
    assert _targets(database, AC, IS, None) == WebhookTargets((), ())


def test_the_account_level_applies_to_every_service_of_the_account(database: str) -> None:
    _save(database, _config(AC, None, "https://pre.example/x", "https://post.example/y#rc=2", method="GET"))
    filters = frozenset({"onMessageAdd", "onMessageAdded"})
    for service, conversation in ((IS, CH), (IS2, None)):
        found = _targets(database, AC, service, conversation)
        assert found.pre == (HookTarget("https://pre.example/x", "GET", filters, "webhook"),)
        assert found.post == (HookTarget("https://post.example/y#rc=2", "GET", filters, "webhook"),)
    # Another account's services see none of it.
    assert _targets(database, AC2, IS_OTHER, CH_OTHER) == WebhookTargets((), ())


def test_flex_is_a_kind_of_its_own(database: str) -> None:
    _save(database, _config(AC, None, None, "https://flex.example/", target="flex"))
    found = _targets(database, AC, IS, CH)
    assert found.pre == ()
    assert [t.kind for t in found.post] == ["flex"]


def test_a_service_with_urls_replaces_the_account_level_entirely(database: str) -> None:
    _save(
        database,
        _config(AC, None, "https://account.example/pre", "https://account.example/post"),
        _config(AC, IS, None, "https://service.example/post", filters=("onUserAdded",)),
    )
    found = _targets(database, AC, IS, CH)
    assert found.pre == ()  # not the account's pre-event URL either
    assert found.post == (HookTarget("https://service.example/post", "POST", frozenset({"onUserAdded"}), "webhook"),)
    # IS2 has no configuration of its own: the account's.
    other = _targets(database, AC, IS2, None)
    assert [t.url for t in other.pre + other.post] == ["https://account.example/pre", "https://account.example/post"]


def test_a_service_without_urls_falls_back_to_the_account(database: str) -> None:
    _save(
        database,
        _config(AC, None, None, "https://account.example/post"),
        _config(AC, IS, None, None, filters=("onUserAdded",)),
    )
    assert [t.url for t in _targets(database, AC, IS, CH).post] == ["https://account.example/post"]


def test_conversation_webhooks_follow_the_configured_one_in_creation_order(database: str) -> None:
    first = _hook(CH, "webhook", "https://a.example/1", filters=("onMessageAdded",), method="GET")
    second = _hook(CH, "trigger", "https://a.example/2", triggers=("help", "stop"))
    third = _hook(CH, "studio", None, flow_sid="FW" + "a" * 32)
    elsewhere = _hook(CH2, "webhook", "https://b.example/", filters=("onMessageAdded",))
    foreign = _hook(CH_OTHER, "webhook", "https://c.example/", filters=("onMessageAdded",))
    _save(database, _config(AC, None, None, "https://account.example/post"), first, second, third, elsewhere, foreign)

    found = _targets(database, AC, IS, CH)
    assert found.pre == ()
    assert [t.url for t in found.post] == [
        "https://account.example/post",
        "https://a.example/1",
        "https://a.example/2",
        "",
    ]
    hook1, hook2, hook3 = found.post[1:]
    assert hook1 == HookTarget("https://a.example/1", "GET", frozenset({"onMessageAdded"}), "webhook", (), first.sid)
    assert (hook2.kind, hook2.triggers, hook2.webhook_sid) == ("trigger", ("help", "stop"), second.sid)
    assert hook2.filters == frozenset({"onMessageAdded"})  # a trigger without Filters: new messages
    assert (hook3.kind, hook3.flow_sid, hook3.webhook_sid) == ("studio", "FW" + "a" * 32, third.sid)

    # Service-wide events (conversation None) get no conversation hooks.
    assert [t.url for t in _targets(database, AC, IS, None).post] == ["https://account.example/post"]
    # The right account is required even with the right conversation SID.
    assert _targets(database, AC2, IS, CH) == WebhookTargets((), ())


def test_deleting_a_conversation_or_service_removes_its_webhooks(database: str) -> None:
    _save(
        database,
        _config(AC, IS, None, "https://service.example/post"),
        _hook(CH, "webhook", "https://a.example/1", filters=("onMessageAdded",)),
    )
    _in_write(database, lambda tx: tx.run("DELETE FROM conversations WHERE sid = ?", CH))
    assert [t.url for t in _targets(database, AC, IS, CH).post] == ["https://service.example/post"]
    _in_write(database, lambda tx: tx.run("DELETE FROM services WHERE sid = ?", IS))
    assert _targets(database, AC, IS, CH) == WebhookTargets((), ())
    left = _run(database, lambda tx: tx.all("SELECT COUNT(*) FROM service_webhook_configs"), write=False)
    assert left[0][0] == 0


def _target(kind: str, filters: set[str], triggers: tuple[str, ...] = ()) -> HookTarget:
    return HookTarget("https://x.example/", "POST", frozenset(filters), kind, triggers)


def test_fires_only_on_its_filters() -> None:
    hook = _target("webhook", {"onMessageAdded", "onParticipantAdded"})
    assert fires(hook, "onMessageAdded", "hi")
    assert fires(hook, "onParticipantAdded", None)
    assert not fires(hook, "onMessageUpdated", "hi")
    assert not fires(_target("webhook", set()), "onMessageAdded", "hi")
    assert fires(_target("flex", {"onMessageAdd"}), "onMessageAdd", "hi")
    assert fires(_target("studio", {"onMessageAdded"}), "onMessageAdded", "anything")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("help", True),
        ("I need HELP now", True),
        ("Help!", True),
        ("(stop)", True),
        ("helpful", False),
        ("unhelp", False),
        ("nonstop music", False),
        ("", False),
        (None, False),
        ("call 911", True),
        ("c++ rocks", True),
        ("c+++", True),  # "c++" followed by "+" (not a word character) is the keyword
        ("abc++", False),
    ],
)
def test_a_trigger_fires_on_a_keyword_as_a_whole_word(body: str | None, expected: bool) -> None:
    hook = _target("trigger", {"onMessageAdded"}, ("help", "Stop", "911", "c++", " "))
    assert fires(hook, "onMessageAdded", body) is expected
    assert not fires(hook, "onParticipantAdded", body)


def test_a_trigger_without_keywords_never_fires() -> None:
    assert not fires(_target("trigger", {"onMessageAdded"}), "onMessageAdded", "help")
