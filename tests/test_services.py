"""Conversation Services through twilio-python: create, fetch, list, delete, the default service,
and what a new service comes with (configuration, four default roles), on both engines."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading

import asyncpg
import httpx
from twilio.rest.conversations.v1 import V1

from chinwag.storage.dialect import postgres_target
from tests.conftest import Account, Running, error_of, make_client
from tests.support.expect import twilio_error

DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
SID = re.compile(r"^IS[0-9a-f]{32}$")

SERVICE_KEYS = {"account_sid", "sid", "friendly_name", "date_created", "date_updated", "url", "links"}
LINKS = {
    "conversations": "Conversations",
    "users": "Users",
    "roles": "Roles",
    "bindings": "Bindings",
    "configuration": "Configuration",
    "participant_conversations": "ParticipantConversations",
    "conversation_with_participants": "ConversationWithParticipants",
}

# decisions.md #7 and Twilio's docs, written out here so the test fails if the server drifts.
ALL_SERVICE = {
    "addParticipant",
    "createConversation",
    "deleteAnyMessage",
    "deleteConversation",
    "editAnyMessage",
    "editAnyMessageAttributes",
    "editAnyUserInfo",
    "editConversationAttributes",
    "editConversationName",
    "editOwnMessage",
    "editOwnMessageAttributes",
    "editOwnUserInfo",
    "joinConversation",
    "removeParticipant",
}
ALL_CONVERSATION = {
    "addParticipant",
    "deleteAnyMessage",
    "deleteOwnMessage",
    "deleteConversation",
    "editAnyMessage",
    "editAnyMessageAttributes",
    "editAnyUserInfo",
    "editConversationAttributes",
    "editConversationName",
    "editOwnMessage",
    "editOwnMessageAttributes",
    "editOwnUserInfo",
    "leaveConversation",
    "removeParticipant",
    "sendMediaMessage",
    "sendMessage",
    "editAnyParticipantAttributes",
    "editOwnParticipantAttributes",
    "editNotificationLevel",
    "addNonChatParticipant",
}
DEFAULT_ROLES = {
    "service admin": ("service", ALL_SERVICE),
    "service user": ("service", {"createConversation", "joinConversation", "editOwnUserInfo"}),
    "channel admin": ("conversation", ALL_CONVERSATION),
    "channel user": (
        "conversation",
        {
            "sendMessage",
            "sendMediaMessage",
            "leaveConversation",
            "editOwnMessage",
            "editOwnMessageAttributes",
            "deleteOwnMessage",
            "editOwnUserInfo",
            "editNotificationLevel",
        },
    ),
}


def rows_of_service(running: Running, table: str, service_sid: str) -> int:
    """Rows a table still holds for a service, read straight from the database (not through the API)."""
    sql = f"SELECT count(*) FROM {table} WHERE chat_service_sid = "
    if running.engine == "sqlite":
        path = running.database_url[len("sqlite:///") :]
        with sqlite3.connect(path) as conn:
            return int(conn.execute(sql + "?", (service_sid,)).fetchone()[0])
    dsn, settings = postgres_target(running.database_url)

    async def count() -> int:
        conn = await asyncpg.connect(dsn, server_settings=settings)
        try:
            return int(await conn.fetchval(sql + "$1", service_sid))
        finally:
            await conn.close()

    return asyncio.run(count())


def test_create_fetch_list_delete(twilio: V1, running: Running, account: Account) -> None:
    made = twilio.services.create(friendly_name="Support desk")
    assert SID.match(made.sid)
    assert made.account_sid == account.sid
    assert made.friendly_name == "Support desk"
    url = f"{running.url}/v1/Services/{made.sid}"
    assert made.url == url
    assert made.links == {name: f"{url}/{path}" for name, path in LINKS.items()}
    assert made.date_created is not None and made.date_created == made.date_updated

    fetched = twilio.services(made.sid).fetch()
    assert (fetched.sid, fetched.friendly_name, fetched.date_created) == (made.sid, "Support desk", made.date_created)

    default_sid = twilio.configuration().fetch().default_chat_service_sid
    second = twilio.services.create(friendly_name="Sales")
    listed = twilio.services.list()
    # The default service first (made with the account), then creation order.
    assert [s.sid for s in listed] == [default_sid, made.sid, second.sid]
    assert [s.friendly_name for s in listed] == ["Default Conversations Service", "Support desk", "Sales"]

    assert twilio.services(made.sid).delete() is True
    with twilio_error(404, 20404):
        twilio.services(made.sid).fetch()
    with twilio_error(404, 20404):
        twilio.services(made.sid).delete()
    assert [s.sid for s in twilio.services.list()] == [default_sid, second.sid]


def test_wire_shape(http: httpx.Client, running: Running) -> None:
    made = http.post("/v1/Services", data={"FriendlyName": "shape"})
    assert made.status_code == 201
    body = made.json()
    assert set(body) == SERVICE_KEYS
    assert DATE.match(body["date_created"]) and DATE.match(body["date_updated"])
    fetched = http.get(f"/v1/Services/{body['sid']}")
    assert fetched.status_code == 200 and fetched.json() == body
    deleted = http.delete(f"/v1/Services/{body['sid']}")
    assert deleted.status_code == 204 and deleted.content == b""


def test_create_validation(twilio: V1, http: httpx.Client) -> None:
    before = [s.sid for s in twilio.services.list()]
    missing = http.post("/v1/Services", data={})
    assert missing.status_code == 400
    assert error_of(missing)["code"] == 20001
    assert error_of(missing)["message"] == "Missing required parameter FriendlyName in the post body"
    empty = http.post("/v1/Services", data={"FriendlyName": ""})
    assert (empty.status_code, error_of(empty)["code"]) == (400, 20001)
    with twilio_error(400, 50003):
        twilio.services.create(friendly_name="x" * 257)
    assert twilio.services.create(friendly_name="y" * 256).friendly_name == "y" * 256
    # A body that is not UTF-8 is a bad request, not a server error.
    garbled = http.post(
        "/v1/Services",
        content=b"FriendlyName=\xff\xfe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (garbled.status_code, error_of(garbled)["code"]) == (400, 20001)
    # NUL cannot be stored by PostgreSQL; both engines refuse it the same way.
    nul = http.post("/v1/Services", data={"FriendlyName": "a\x00b"})
    assert (nul.status_code, error_of(nul)["code"]) == (400, 20001)
    assert len(twilio.services.list()) == len(before) + 1


def test_unknown_and_foreign_services_are_not_found(twilio: V1, http: httpx.Client, running: Running) -> None:
    ghost = "IS" + "0" * 32
    with twilio_error(404, 20404, f"/Services/{ghost}"):
        twilio.services(ghost).fetch()
    with twilio_error(404, 20404):
        twilio.services("not-a-sid").fetch()
    nul = http.get("/v1/Services/IS%00")
    assert (nul.status_code, error_of(nul)["code"]) == (404, 20404)

    from chinwag import bootstrap

    mine = twilio.services.create(friendly_name="mine")
    sid, token = bootstrap.create_account(running.database_url)
    other = make_client(running.url, Account(sid, token)).conversations.v1
    with twilio_error(404, 20404):
        other.services(mine.sid).fetch()
    with twilio_error(404, 20404):
        other.services(mine.sid).delete()
    assert mine.sid not in {s.sid for s in other.services.list()}
    assert len(other.services.list()) == 1
    assert twilio.services(mine.sid).fetch().sid == mine.sid


def test_services_have_no_update(http: httpx.Client) -> None:
    sid = http.post("/v1/Services", data={"FriendlyName": "fixed"}).json()["sid"]
    response = http.post(f"/v1/Services/{sid}", data={"FriendlyName": "renamed"})
    assert (response.status_code, error_of(response)["code"]) == (405, 20004)
    assert http.get(f"/v1/Services/{sid}").json()["friendly_name"] == "fixed"


def test_every_account_has_a_default_service(twilio: V1, running: Running) -> None:
    config = twilio.configuration().fetch()
    default = twilio.services(config.default_chat_service_sid).fetch()
    assert default.friendly_name == "Default Conversations Service"
    # The short URLs act on it: a user made at /v1/Users lives in the default service.
    user = twilio.users.create(identity="short-form")
    assert user.chat_service_sid == default.sid
    assert twilio.services(default.sid).users("short-form").fetch().sid == user.sid
    assert [r.chat_service_sid for r in twilio.roles.list()] == [default.sid] * 4


def test_new_service_gets_configuration_and_default_roles(twilio: V1) -> None:
    service = twilio.services.create(friendly_name="roles please")
    roles = twilio.services(service.sid).roles.list()
    assert [r.friendly_name for r in roles] == ["service admin", "service user", "channel admin", "channel user"]
    for role in roles:
        kind, permissions = DEFAULT_ROLES[role.friendly_name]
        assert role.type == kind, role.friendly_name
        assert set(role.permissions) == permissions, role.friendly_name
        assert len(role.permissions) == len(permissions), role.friendly_name
        assert role.chat_service_sid == service.sid
    by_name = {r.friendly_name: r.sid for r in roles}

    config = twilio.services(service.sid).configuration().fetch()
    assert config.chat_service_sid == service.sid
    assert config.default_chat_service_role_sid == by_name["service user"]
    assert config.default_conversation_role_sid == by_name["channel user"]
    assert config.default_conversation_creator_role_sid == by_name["channel admin"]
    assert config.reachability_enabled is False

    # Each service has its own roles: none shared with the default service.
    assert not {r.sid for r in twilio.roles.list()} & set(by_name.values())
    # New users of the service get its service-user role.
    assert twilio.services(service.sid).users.create(identity="u").role_sid == by_name["service user"]


def test_delete_removes_everything_in_the_service(twilio: V1, running: Running, http: httpx.Client) -> None:
    service = twilio.services.create(friendly_name="doomed")
    scoped = twilio.services(service.sid)
    role = scoped.roles.create(friendly_name="vip", type="service", permission=["editOwnUserInfo"])
    scoped.users.create(identity="a")
    scoped.users.create(identity="b", role_sid=role.sid)
    conversation = scoped.conversations.create(friendly_name="in the doomed service")
    scoped.conversations(conversation.sid).participants.create(identity="a")
    scoped.conversations(conversation.sid).messages.create(author="a", body="hello")
    expected = {"users": 2, "roles": 5, "service_configs": 1, "conversations": 1, "participants": 1, "messages": 1}
    assert {table: rows_of_service(running, table, service.sid) for table in expected} == expected
    # A role a user holds cannot be deleted on its own, but the service takes it along.
    with twilio_error(409, 20409):
        scoped.roles(role.sid).delete()

    assert twilio.services(service.sid).delete() is True
    assert {table: rows_of_service(running, table, service.sid) for table in expected} == dict.fromkeys(expected, 0)
    for path in ("Users", "Users/a", "Roles", f"Roles/{role.sid}", "Configuration", "Conversations"):
        response = http.get(f"/v1/Services/{service.sid}/{path}")
        assert (response.status_code, error_of(response)["code"]) == (404, 20404), path
    with twilio_error(404, 20404):
        scoped.users.create(identity="c")


def test_default_service_cannot_be_deleted_until_another_is_default(twilio: V1, running: Running) -> None:
    first = twilio.configuration().fetch().default_chat_service_sid
    twilio.users.create(identity="in-first")
    with twilio_error(409, 20409, "default"):
        twilio.services(first).delete()
    assert twilio.services(first).fetch().sid == first
    assert twilio.users("in-first").fetch().chat_service_sid == first

    second = twilio.services.create(friendly_name="next default")
    twilio.configuration().update(default_chat_service_sid=second.sid)
    with twilio_error(409, 20409):
        twilio.services(second.sid).delete()
    assert twilio.services(first).delete() is True
    assert rows_of_service(running, "users", first) == 0
    # The short URLs now act on the new default service.
    with twilio_error(404, 20404):
        twilio.users("in-first").fetch()
    assert twilio.users.create(identity="in-second").chat_service_sid == second.sid
    assert [s.sid for s in twilio.services.list()] == [second.sid]


def test_making_a_service_default_races_its_delete_safely(running: Running, account: Account, twilio: V1) -> None:
    """Either the update wins (the delete is refused) or the delete wins (the update finds no service);
    never a default service that no longer exists."""
    default = twilio.configuration().fetch().default_chat_service_sid
    for i in range(25):
        sid = twilio.services.create(friendly_name=f"contested {i}").sid
        barrier = threading.Barrier(2)
        result: dict[str, int] = {}

        def make_default(sid: str = sid, result: dict[str, int] = result, barrier: threading.Barrier = barrier) -> None:
            with httpx.Client(base_url=running.url, auth=(account.sid, account.token)) as client:
                barrier.wait()
                result["update"] = client.post("/v1/Configuration", data={"DefaultChatServiceSid": sid}).status_code

        def delete(sid: str = sid, result: dict[str, int] = result, barrier: threading.Barrier = barrier) -> None:
            with httpx.Client(base_url=running.url, auth=(account.sid, account.token)) as client:
                barrier.wait()
                result["delete"] = client.delete(f"/v1/Services/{sid}").status_code

        threads = [threading.Thread(target=make_default), threading.Thread(target=delete)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        outcome = (result["update"], result["delete"])
        assert outcome in {(200, 409), (404, 204)}, outcome
        current = twilio.configuration().fetch().default_chat_service_sid
        assert twilio.services(current).fetch().sid == current
        assert twilio.users.create(identity=f"still-works-{i}").chat_service_sid == current
        twilio.configuration().update(default_chat_service_sid=default)
