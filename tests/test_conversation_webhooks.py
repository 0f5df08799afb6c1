"""Conversation-scoped webhooks through twilio-python, both URL forms, SQLite and PostgreSQL
(docs/decisions.md #63-#66)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest.conversations.v1 import V1

from chinwag import bootstrap
from tests.conftest import Account, Running, error_of, make_client
from tests.support.expect import twilio_error
from tests.support.scoped import Scoped

FLOW = "FW" + "ab" * 16


def _list_is_404(attempt: Callable[[], object]) -> None:
    """twilio-python raises a plain TwilioException for a page that is not 200, the response in args[1]."""
    with pytest.raises(TwilioException, match="Unable to fetch page") as caught:
        attempt()
    assert caught.value.args[1].status_code == 404


def _hooks(where: Scoped, conversation_sid: str) -> Any:
    return where.conversations(conversation_sid).webhooks


def test_create_fetch_list_update_delete(where: Scoped, account: Account) -> None:
    conv = where.conversations.create(friendly_name="hooked")
    hooks = _hooks(where, conv.sid)
    made = hooks.create(
        target="webhook",
        configuration_url="https://app.example/hook#rc=0",
        configuration_method="GET",
        configuration_filters=["onMessageAdded", "onParticipantAdded"],
        configuration_replay_after=7,
    )
    assert made.sid.startswith("WH") and len(made.sid) == 34
    assert (made.account_sid, made.conversation_sid, made.target) == (account.sid, conv.sid, "webhook")
    assert made.configuration == {
        "url": "https://app.example/hook#rc=0",
        "method": "get",
        "filters": ["onMessageAdded", "onParticipantAdded"],
        "replay_after": 7,
    }
    assert made.url == f"{where.prefix}/Conversations/{conv.sid}/Webhooks/{made.sid}"
    assert made.date_created == made.date_updated
    if where.form == "service":
        assert made.chat_service_sid == where.service_sid

    trigger = hooks.create(
        target="trigger", configuration_url="https://bot.example/", configuration_triggers=["help", "stop"]
    )
    assert trigger.configuration == {
        "url": "https://bot.example/",
        "method": "post",
        "filters": [],
        "triggers": ["help", "stop"],
    }
    studio = hooks.create(target="studio", configuration_flow_sid=FLOW)
    assert studio.configuration == {"flow_sid": FLOW}

    fetched = hooks(made.sid).fetch()
    assert (fetched.sid, fetched.configuration) == (made.sid, made.configuration)
    assert [h.sid for h in hooks.list()] == [made.sid, trigger.sid, studio.sid]
    # Paging follows the same keyset pattern as every list.
    pages = list(hooks.stream(page_size=2))
    assert [h.sid for h in pages] == [made.sid, trigger.sid, studio.sid]

    updated = hooks(made.sid).update(configuration_method="post", configuration_filters=["onMessageRemoved"])
    assert updated.configuration == {
        "url": "https://app.example/hook#rc=0",
        "method": "post",
        "filters": ["onMessageRemoved"],
        "replay_after": 7,
    }
    assert updated.date_updated >= updated.date_created
    assert hooks(trigger.sid).update(configuration_triggers=["urgent"]).configuration["triggers"] == ["urgent"]

    assert hooks(studio.sid).delete() is True
    assert [h.sid for h in hooks.list()] == [made.sid, trigger.sid]
    with pytest.raises(TwilioRestException) as caught:
        hooks(studio.sid).fetch()
    assert (caught.value.status, caught.value.code) == (404, 20404)


def test_the_conversation_may_be_named_by_unique_name(where: Scoped) -> None:
    conv = where.conversations.create(unique_name=f"named-{where.form}")
    made = where.conversations(f"named-{where.form}").webhooks.create(
        target="webhook", configuration_url="https://x.example/", configuration_filters=["onMessageAdded"]
    )
    assert made.conversation_sid == conv.sid
    assert [h.sid for h in _hooks(where, conv.sid).list()] == [made.sid]


def test_at_most_five_per_conversation(where: Scoped) -> None:
    conv = where.conversations.create()
    hooks = _hooks(where, conv.sid)
    for n in range(5):
        hooks.create(target="webhook", configuration_url=f"https://x.example/{n}")
    with twilio_error(400, 50361):
        hooks.create(target="webhook", configuration_url="https://x.example/6")
    assert len(hooks.list()) == 5
    # Another conversation has its own five.
    other = where.conversations.create()
    _hooks(where, other.sid).create(target="studio", configuration_flow_sid=FLOW)
    # Deleting one frees a place.
    hooks(hooks.list()[0].sid).delete()
    hooks.create(target="webhook", configuration_url="https://x.example/again")
    assert len(hooks.list()) == 5


@pytest.mark.parametrize(
    ("params", "code", "text"),
    [
        ({"target": "flex", "configuration_url": "https://x.example/"}, 20001, "Target"),
        ({"target": "webhook"}, 20001, "Configuration.Url"),
        ({"target": "webhook", "configuration_url": "mailto:a@b.example"}, 20001, "Configuration.Url"),
        ({"target": "webhook", "configuration_url": "https://x.example/", "configuration_method": "PATCH"}, 20001, ""),
        ({"target": "trigger", "configuration_url": "https://x.example/"}, 20001, "Configuration.Triggers"),
        (
            {"target": "trigger", "configuration_url": "https://x.example/", "configuration_triggers": ["  "]},
            20001,
            "Configuration.Triggers",
        ),
        ({"target": "studio"}, 20001, "Configuration.FlowSid"),
        ({"target": "studio", "configuration_flow_sid": "FW123"}, 20001, "Configuration.FlowSid"),
        (
            {"target": "webhook", "configuration_url": "https://x.example/", "configuration_filters": ["onMessageAdd"]},
            50365,
            "onMessageAdd",
        ),
        (
            {"target": "webhook", "configuration_url": "https://x.example/", "configuration_filters": ["onUserAdded"]},
            50365,
            "onUserAdded",
        ),
        (
            {
                "target": "webhook",
                "configuration_url": "https://x.example/",
                "configuration_filters": ["onMessageSent"],
            },
            50365,
            "onMessageSent",
        ),
        (
            {"target": "webhook", "configuration_url": "https://x.example/", "configuration_replay_after": -1},
            20001,
            "ReplayAfter",
        ),
    ],
)
def test_bad_creates_are_400_and_create_nothing(twilio: V1, params: dict[str, Any], code: int, text: str) -> None:
    conv = twilio.conversations.create()
    with twilio_error(400, code, text):
        conv.webhooks.create(**params)
    assert conv.webhooks.list() == []


def test_target_is_required(twilio: V1, http: httpx.Client) -> None:
    conv = twilio.conversations.create()
    response = http.post(f"/v1/Conversations/{conv.sid}/Webhooks", data={"Configuration.Url": "https://x.example/"})
    assert response.status_code == 400
    assert error_of(response)["code"] == 20001 and "Target" in error_of(response)["message"]
    assert conv.webhooks.list() == []


def test_bad_updates_are_400_and_change_nothing(twilio: V1) -> None:
    conv = twilio.conversations.create()
    hook = conv.webhooks.create(
        target="webhook", configuration_url="https://x.example/", configuration_filters=["onMessageAdded"]
    )
    for params, code in (
        ({"configuration_url": "not a url"}, 20001),
        ({"configuration_url": "https://ok.example/", "configuration_method": "DELETE"}, 20001),
        ({"configuration_url": "https://ok.example/", "configuration_filters": ["onConversationAdd"]}, 50365),
    ):
        with twilio_error(400, code):
            conv.webhooks(hook.sid).update(**params)
    assert conv.webhooks(hook.sid).fetch().configuration == hook.configuration


def test_clearing_a_required_value_is_refused(twilio: V1, http: httpx.Client) -> None:
    conv = twilio.conversations.create()
    hook = conv.webhooks.create(target="webhook", configuration_url="https://x.example/")
    path = f"/v1/Conversations/{conv.sid}/Webhooks/{hook.sid}"
    response = http.post(path, data={"Configuration.Url": ""})
    assert response.status_code == 400 and error_of(response)["code"] == 20001
    # An empty Filters value clears the list; Target cannot be changed.
    response = http.post(path, data={"Configuration.Filters": "", "Target": "studio"})
    assert response.status_code == 200, response.text
    assert (response.json()["target"], response.json()["configuration"]["filters"]) == ("webhook", [])


def test_unknown_conversation_or_webhook_is_404(twilio: V1) -> None:
    conv = twilio.conversations.create()
    attempts: tuple[Callable[[], object], ...] = (
        lambda: twilio.conversations("CH" + "0" * 32).webhooks.create(
            target="webhook", configuration_url="https://x.example/"
        ),
        lambda: conv.webhooks("WH" + "0" * 32).fetch(),
        lambda: conv.webhooks("WH" + "0" * 32).update(configuration_url="https://x.example/"),
        lambda: conv.webhooks("WH" + "0" * 32).delete(),
    )
    for attempt in attempts:
        with pytest.raises(TwilioRestException) as caught:
            attempt()
        assert caught.value.status == 404
    _list_is_404(lambda: twilio.conversations("CH" + "0" * 32).webhooks.list())


def test_a_webhook_is_reached_only_through_its_own_conversation_and_account(
    twilio: V1, running: Running, http: httpx.Client
) -> None:
    conv = twilio.conversations.create()
    other = twilio.conversations.create()
    hook = conv.webhooks.create(target="webhook", configuration_url="https://mine.example/")
    assert http.get(f"/v1/Conversations/{other.sid}/Webhooks/{hook.sid}").status_code == 404
    assert http.delete(f"/v1/Conversations/{other.sid}/Webhooks/{hook.sid}").status_code == 404

    sid, token = bootstrap.create_account(running.database_url)
    stranger = make_client(running.url, Account(sid, token)).conversations.v1
    attempts: tuple[Callable[[], object], ...] = (
        lambda: stranger.conversations(conv.sid).webhooks(hook.sid).fetch(),
        lambda: stranger.conversations(conv.sid).webhooks(hook.sid).delete(),
        lambda: stranger.conversations(conv.sid).webhooks.create(
            target="webhook", configuration_url="https://evil.example/"
        ),
    )
    for attempt in attempts:
        with pytest.raises(TwilioRestException) as caught:
            attempt()
        assert caught.value.status == 404
    _list_is_404(lambda: stranger.conversations(conv.sid).webhooks.list())
    assert conv.webhooks(hook.sid).fetch().configuration["url"] == "https://mine.example/"


def test_deleting_the_conversation_removes_its_webhooks(twilio: V1, running: Running) -> None:
    from tests.support.raw_sql import Raw

    conv = twilio.conversations.create()
    conv.webhooks.create(target="webhook", configuration_url="https://x.example/")
    conv.webhooks.create(target="studio", configuration_flow_sid=FLOW)
    kept = twilio.conversations.create()
    kept.webhooks.create(target="webhook", configuration_url="https://kept.example/")
    conv.delete()
    db = Raw(running.database_url)
    assert db.all("SELECT COUNT(*) FROM conversation_webhooks WHERE conversation_sid = ?", conv.sid) == [(0,)]
    assert [h.configuration["url"] for h in kept.webhooks.list()] == ["https://kept.example/"]


def test_concurrent_creates_never_pass_the_limit(multi_running: Running) -> None:
    """Two server processes on one database, many creates at once: exactly five win (the count is
    taken under the conversation's row lock)."""
    sid, token = bootstrap.create_account(multi_running.database_url)
    account = Account(sid, token)
    conv = make_client(multi_running.url, account).conversations.v1.conversations.create()

    def create(n: int) -> str:
        twilio = make_client(multi_running.url, account).conversations.v1
        try:
            twilio.conversations(conv.sid).webhooks.create(target="webhook", configuration_url=f"https://x.example/{n}")
            return "created"
        except TwilioRestException as exc:
            return f"{exc.status}/{exc.code}"

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(create, range(20)))
    assert outcomes.count("created") == 5
    assert set(outcomes) - {"created"} == {"400/50361"}
    listed = make_client(multi_running.url, account).conversations.v1.conversations(conv.sid).webhooks.list()
    assert len(listed) == 5
