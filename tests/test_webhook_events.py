"""Which actions fire which webhooks, with which fields, signed how (Twilio's webhook docs), through
twilio-python against a real server and a real receiver, on both engines."""

from __future__ import annotations

import json

from tests.support.expect import twilio_error
from tests.support.receiver import Answer
from tests.support.webhooks import Hooked, assert_signed, events

ON = "true"


def test_rest_changes_fire_post_events_with_twilios_fields(hooked: Hooked) -> None:
    hooked.configure()
    t = hooked.twilio
    conv = t.conversations.create(friendly_name="Support", unique_name="sup-1", x_twilio_webhook_enabled=ON)
    part = t.conversations(conv.sid).participants.create(identity="alice", x_twilio_webhook_enabled=ON)
    msg = t.conversations(conv.sid).messages.create(body="hi there", author="alice", x_twilio_webhook_enabled=ON)
    t.conversations(conv.sid).messages(msg.sid).update(body="edited", x_twilio_webhook_enabled=ON)
    t.conversations(conv.sid).participants(part.sid).update(attributes='{"a":1}', x_twilio_webhook_enabled=ON)
    t.conversations(conv.sid).update(friendly_name="Renamed", state="inactive", x_twilio_webhook_enabled=ON)
    user = t.users.create(identity="bob", friendly_name="Bob", x_twilio_webhook_enabled=ON)
    t.users(user.sid).update(friendly_name="Bobby", x_twilio_webhook_enabled=ON)
    got = hooked.receiver.wait_for(9)
    by_type = {r.params["EventType"]: r for r in got}
    assert set(by_type) == {
        "onConversationAdded",
        "onParticipantAdded",
        "onMessageAdded",
        "onMessageUpdated",
        "onParticipantUpdated",
        "onConversationUpdated",
        "onConversationStateUpdated",
        "onUserAdded",
        "onUserUpdated",
    }, hooked.receiver.summary()
    for r in got:
        assert r.method == "POST" and r.path == "/post"
        assert r.headers["content-type"] == "application/x-www-form-urlencoded"
        assert r.headers["i-twilio-idempotency-token"]
        assert_signed(hooked.receiver, hooked.account, r)
        assert r.params["AccountSid"] == hooked.account.sid
        assert r.params["Source"] == "API"
        assert "ClientIdentity" not in r.params

    added = by_type["onMessageAdded"].params
    assert added["ConversationSid"] == conv.sid and added["MessageSid"] == msg.sid
    assert added["Index"] == "0" and added["Body"] == "hi there" and added["Author"] == "alice"
    assert added["ParticipantSid"] == part.sid and added["Attributes"] == "{}"
    assert added["ChatServiceSid"] == conv.chat_service_sid
    assert added["DateCreated"].endswith(".000Z")
    assert by_type["onMessageUpdated"].params["Body"] == "edited"
    assert "DateUpdated" in by_type["onMessageUpdated"].params

    conv_added = by_type["onConversationAdded"].params
    assert conv_added["FriendlyName"] == "Support" and conv_added["UniqueName"] == "sup-1"
    assert conv_added["State"] == "active"
    assert by_type["onConversationUpdated"].params["FriendlyName"] == "Renamed"
    state = by_type["onConversationStateUpdated"].params
    assert (state["StateFrom"], state["StateTo"], state["Reason"]) == ("active", "inactive", "API")
    assert state["ConversationSid"] == conv.sid and "StateUpdated" in state

    p_added = by_type["onParticipantAdded"].params
    assert p_added["ParticipantSid"] == part.sid and p_added["Identity"] == "alice"
    assert p_added["RoleSid"] == part.role_sid and p_added["MessagingBinding.Type"] == "CHAT"
    p_updated = by_type["onParticipantUpdated"].params
    assert p_updated["Attributes"] == '{"a":1}' and "DateUpdated" in p_updated

    u_added = by_type["onUserAdded"].params
    assert u_added["UserSid"] == user.sid and u_added["Identity"] == "bob" and u_added["FriendlyName"] == "Bob"
    assert u_added["RoleSid"] == user.role_sid and u_added["ChatServiceSid"] == user.chat_service_sid
    u_updated = by_type["onUserUpdated"].params
    assert u_updated["FriendlyName"] == "Bobby" and u_updated["isOnline"] == "false"
    assert "isNotifiable" in u_updated and "DateUpdated" in u_updated


def test_removals_fire_with_date_removed(hooked: Hooked) -> None:
    hooked.configure(filters=["onMessageRemoved", "onParticipantRemoved", "onConversationRemoved"])
    t = hooked.twilio
    conv = t.conversations.create(friendly_name="bye")
    part = t.conversations(conv.sid).participants.create(identity="alice")
    msg = t.conversations(conv.sid).messages.create(body="gone soon", author="alice")
    # twilio-python 9.x drops X-Twilio-Webhook-Enabled on delete(): raw HTTP sends it.
    headers = {"X-Twilio-Webhook-Enabled": "true"}
    base = f"/v1/Conversations/{conv.sid}"
    assert hooked.http.delete(f"{base}/Messages/{msg.sid}", headers=headers).status_code == 204
    assert hooked.http.delete(f"{base}/Participants/{part.sid}", headers=headers).status_code == 204
    assert hooked.http.delete(base, headers=headers).status_code == 204
    got = hooked.receiver.wait_for(3)
    assert events(got) == ["onMessageRemoved", "onParticipantRemoved", "onConversationRemoved"]
    assert got[0].params["MessageSid"] == msg.sid and got[0].params["Body"] == "gone soon"
    assert got[1].params["ParticipantSid"] == part.sid and got[1].params["Identity"] == "alice"
    assert got[2].params["ConversationSid"] == conv.sid and got[2].params["FriendlyName"] == "bye"
    for r in got:
        assert r.params["DateRemoved"].endswith(".000Z")
        assert_signed(hooked.receiver, hooked.account, r)


def test_nothing_fires_without_the_header_or_outside_filters(hooked: Hooked) -> None:
    hooked.configure(filters=["onMessageAdded"])
    t = hooked.twilio
    conv = t.conversations.create(friendly_name="quiet", x_twilio_webhook_enabled=ON)  # filtered out
    t.conversations(conv.sid).messages.create(body="no header")  # plain REST: nothing
    t.conversations(conv.sid).messages.create(body="header false", x_twilio_webhook_enabled="false")
    t.conversations(conv.sid).messages.create(body="loud", x_twilio_webhook_enabled=ON)
    got = hooked.receiver.wait_for(1)
    assert [r.params["Body"] for r in got] == ["loud"]
    assert len(hooked.deliveries()) == 1


def test_get_hooks_carry_params_in_the_query_signed_as_sent(hooked: Hooked) -> None:
    hooked.configure(method="GET", post_url=hooked.receiver.url + "/hook?tenant=a%20b&x=1")
    t = hooked.twilio
    conv = t.conversations.create(friendly_name="Ünïcode & more?", x_twilio_webhook_enabled=ON)
    got = hooked.receiver.wait_for(1)[0]
    assert got.method == "GET" and got.body == b""
    assert got.path.startswith("/hook?tenant=a%20b&x=1&")
    assert got.params["FriendlyName"] == "Ünïcode & more?" and got.params["tenant"] == "a b"
    assert got.params["ConversationSid"] == conv.sid
    assert_signed(hooked.receiver, hooked.account, got)


def test_conversation_scoped_webhooks_and_triggers(hooked: Hooked) -> None:
    t = hooked.twilio
    conv = t.conversations.create(friendly_name="scoped")
    t.conversations(conv.sid).webhooks.create(
        target="webhook", configuration_url=hooked.receiver.url + "/conv", configuration_filters=["onMessageAdded"]
    )
    t.conversations(conv.sid).webhooks.create(
        target="trigger", configuration_url=hooked.receiver.url + "/trigger", configuration_triggers=["help"]
    )
    t.conversations(conv.sid).messages.create(body="just chatting", x_twilio_webhook_enabled=ON)
    t.conversations(conv.sid).messages.create(body="I need HELP!", x_twilio_webhook_enabled=ON)
    got = hooked.receiver.wait_for(3)
    paths = sorted((r.path, r.params["Body"]) for r in got)
    assert paths == [("/conv", "I need HELP!"), ("/conv", "just chatting"), ("/trigger", "I need HELP!")]
    for r in got:
        assert_signed(hooked.receiver, hooked.account, r)


def test_a_client_action_fires_pre_and_post_events_as_sdk(hooked: Hooked) -> None:
    hooked.configure(pre=True)
    t = hooked.twilio
    conv = t.conversations.create(friendly_name="chat")
    t.conversations(conv.sid).participants.create(identity="alice")
    with hooked.as_client("alice") as alice:
        response = alice.post(f"/v1/Conversations/{conv.sid}/Messages", data={"Body": "from alice", "Author": "eve"})
    assert response.status_code == 201, response.text
    assert response.json()["author"] == "alice"  # a client posts as its own user
    got = hooked.receiver.wait_for(2)
    assert [(r.path, r.params["EventType"]) for r in got] == [("/pre", "onMessageAdd"), ("/post", "onMessageAdded")]
    for r in got:
        assert r.params["Source"] == "SDK" and r.params["ClientIdentity"] == "alice"
        assert r.params["Author"] == "alice" and r.params["Body"] == "from alice"
        assert_signed(hooked.receiver, hooked.account, r)
    assert "MessageSid" not in got[0].params and "Index" not in got[0].params


def test_a_client_posts_only_where_it_takes_part(hooked: Hooked) -> None:
    hooked.configure(pre=True)
    conv = hooked.twilio.conversations.create(friendly_name="private")
    with hooked.as_client("mallory") as mallory:
        response = mallory.post(f"/v1/Conversations/{conv.sid}/Messages", data={"Body": "let me in"})
    assert response.status_code == 403
    assert response.json()["code"] == 50107
    assert hooked.twilio.conversations(conv.sid).messages.list() == []
    assert hooked.receiver.attempts == []


def test_a_pre_event_hook_vetoes_and_nothing_is_written(hooked: Hooked) -> None:
    hooked.configure(pre=True)
    hooked.receiver.answer = lambda r: Answer(403) if r.path == "/pre" else Answer()
    conv = hooked.twilio.conversations.create(friendly_name="guarded")
    hooked.twilio.conversations(conv.sid).participants.create(identity="alice")
    with hooked.as_client("alice") as alice:
        response = alice.post(f"/v1/Conversations/{conv.sid}/Messages", data={"Body": "bad word"})
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["code"] == 50056 and body["status"] == 403
    assert hooked.twilio.conversations(conv.sid).messages.list() == []
    assert hooked.deliveries() == []  # no post-event for what did not happen
    # REST with account credentials never calls pre-event hooks.
    made = hooked.twilio.conversations(conv.sid).messages.create(body="bad word", x_twilio_webhook_enabled=ON)
    assert made.body == "bad word"


def test_a_pre_event_hook_modifies_the_message(hooked: Hooked) -> None:
    hooked.configure(pre=True)

    def answer(r: object) -> Answer:
        if getattr(r, "path", "") == "/pre":
            return Answer(200, json.dumps({"body": "[redacted]", "attributes": {"checked": True}}).encode())
        return Answer()

    hooked.receiver.answer = answer
    conv = hooked.twilio.conversations.create(friendly_name="filtered")
    hooked.twilio.conversations(conv.sid).participants.create(identity="alice")
    with hooked.as_client("alice") as alice:
        response = alice.post(f"/v1/Conversations/{conv.sid}/Messages", data={"Body": "secret"})
        assert response.status_code == 201, response.text
        assert response.json()["body"] == "[redacted]"
        assert json.loads(response.json()["attributes"]) == {"checked": True}
        # A replaced value is validated like the caller's own: invalid attributes are the caller's 400.
        hooked.receiver.answer = lambda r: Answer(200, b'{"attributes": "not json"}') if r.path == "/pre" else Answer()
        bad = alice.post(f"/v1/Conversations/{conv.sid}/Messages", data={"Body": "again"})
        assert bad.status_code == 400 and bad.json()["code"] == 50304
    stored = hooked.twilio.conversations(conv.sid).messages.list()
    assert [m.body for m in stored] == ["[redacted]"]
    posted = hooked.receiver.wait_for(1, event="onMessageAdded")[0]
    assert posted.params["Body"] == "[redacted]"


def test_a_pre_event_hook_renames_a_conversation(hooked: Hooked) -> None:
    hooked.configure(pre=True, filters=["onConversationAdd"])
    hooked.receiver.answer = lambda r: Answer(200, b'{"friendly_name": "Moderated"}')
    with hooked.as_client("alice") as alice:
        response = alice.post("/v1/Conversations", data={"FriendlyName": "raw"})
    assert response.status_code == 201, response.text
    assert response.json()["friendly_name"] == "Moderated"
    got = hooked.receiver.wait_for(1)[0]
    assert got.params["EventType"] == "onConversationAdd" and got.params["FriendlyName"] == "raw"


def test_a_silent_pre_event_hook_lets_the_action_go_on_and_holds_nobody_up(hooked: Hooked) -> None:
    """A hook answering after 3 s delays only its own request; `#tt=` ends the wait sooner."""
    import threading
    import time

    hooked.configure(pre=True, filters=["onMessageAdd"])
    hooked.receiver.answer = lambda r: Answer(200, b"", delay=3.0)
    conv = hooked.twilio.conversations.create(friendly_name="slow")
    hooked.twilio.conversations(conv.sid).participants.create(identity="alice")
    done: dict[str, float] = {}

    def slow_post() -> None:
        started = time.monotonic()
        with hooked.as_client("alice") as alice:
            assert alice.post(f"/v1/Conversations/{conv.sid}/Messages", data={"Body": "slow"}).status_code == 201
        done["slow"] = time.monotonic() - started

    thread = threading.Thread(target=slow_post)
    thread.start()
    time.sleep(0.3)
    others = []
    for i in range(20):
        started = time.monotonic()
        hooked.twilio.conversations(conv.sid).messages.create(body=f"fast {i}")
        others.append(time.monotonic() - started)
    thread.join()
    assert done["slow"] >= 2.9
    assert max(others) < 1.0, others
    assert len(hooked.twilio.conversations(conv.sid).messages.list()) == 21

    # No answer within the total timeout: the action goes on unchanged.
    hooked.configure(pre=True, filters=["onMessageAdd"], pre_url=hooked.receiver.url + "/pre#tt=500")
    started = time.monotonic()
    with hooked.as_client("alice") as alice:
        response = alice.post(f"/v1/Conversations/{conv.sid}/Messages", data={"Body": "unanswered"})
    assert response.status_code == 201 and response.json()["body"] == "unanswered"
    assert 0.4 < time.monotonic() - started < 2.5


def test_a_timer_fires_state_updated_with_reason_timer(hooked: Hooked) -> None:
    hooked.configure(filters=["onConversationStateUpdated"])
    conv = hooked.twilio.conversations.create(friendly_name="idle", state="active", timers_inactive="PT1M")
    clock = hooked.http.post("/_chinwag/v1/Clock", data={"Advance": "61"})
    assert clock.status_code == 200, clock.text
    got = hooked.receiver.wait_for(1)[0]
    assert got.params["ConversationSid"] == conv.sid
    assert (got.params["StateFrom"], got.params["StateTo"], got.params["Reason"]) == ("active", "inactive", "TIMER")
    assert got.params["Source"] == "API"
    assert_signed(hooked.receiver, hooked.account, got)


def test_an_unknown_client_cannot_create_users(hooked: Hooked) -> None:
    with hooked.as_client("alice") as alice:
        response = alice.post("/v1/Users", data={"Identity": "zed"})
    assert response.status_code == 403 and response.json()["code"] == 50107
    with twilio_error(404, 20404):
        hooked.twilio.users("zed").fetch()
