"""Roles through twilio-python, in both URL forms (`/v1/Roles`, `/v1/Services/{IS}/Roles`), on both engines."""

from __future__ import annotations

import re

import httpx
import pytest
from twilio.rest.conversations.v1 import V1

from tests.conftest import Running, error_of
from tests.support.expect import twilio_error

DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ROLE_KEYS = {
    "sid",
    "account_sid",
    "chat_service_sid",
    "friendly_name",
    "type",
    "permissions",
    "date_created",
    "date_updated",
    "url",
}


def roles_of(twilio: V1, form: str):  # type: ignore[no-untyped-def]
    """(roles list, service SID, URL prefix path) for the default service (short) or a new service."""
    if form == "short":
        return twilio.roles, twilio.configuration().fetch().default_chat_service_sid, "/v1"
    service = twilio.services.create(friendly_name="scoped")
    return twilio.services(service.sid).roles, service.sid, f"/v1/Services/{service.sid}"


@pytest.mark.parametrize("form", ["short", "service"])
def test_create_fetch_list_update_delete(twilio: V1, running: Running, form: str) -> None:
    roles, service_sid, prefix = roles_of(twilio, form)
    made = roles.create(friendly_name="moderator", type="conversation", permission=["sendMessage", "deleteAnyMessage"])
    assert re.fullmatch(r"RL[0-9a-f]{32}", made.sid)
    assert made.chat_service_sid == service_sid
    assert made.friendly_name == "moderator"
    assert made.type == "conversation"
    assert made.permissions == ["sendMessage", "deleteAnyMessage"]
    assert made.url == f"{running.url}{prefix}/Roles/{made.sid}"

    fetched = roles(made.sid).fetch()
    assert (fetched.sid, fetched.permissions, fetched.url) == (made.sid, made.permissions, made.url)
    listed = roles.list()
    assert [r.friendly_name for r in listed] == [
        "service admin",
        "service user",
        "channel admin",
        "channel user",
        "moderator",
    ]
    assert {r.url for r in listed} == {f"{running.url}{prefix}/Roles/{r.sid}" for r in listed}

    # Update replaces the whole permission set.
    updated = roles(made.sid).update(permission=["leaveConversation"])
    assert updated.permissions == ["leaveConversation"]
    assert (updated.friendly_name, updated.type) == ("moderator", "conversation")
    assert roles(made.sid).fetch().permissions == ["leaveConversation"]

    assert roles(made.sid).delete() is True
    with twilio_error(404, 20404, f"/Roles/{made.sid}"):
        roles(made.sid).fetch()
    with twilio_error(404, 20404):
        roles(made.sid).update(permission=["sendMessage"])
    with twilio_error(404, 20404):
        roles(made.sid).delete()
    assert len(roles.list()) == 4


def test_both_url_forms_reach_the_same_default_service_role(twilio: V1, running: Running) -> None:
    default = twilio.configuration().fetch().default_chat_service_sid
    made = twilio.roles.create(friendly_name="both", type="service", permission=["joinConversation"])
    long_form = twilio.services(default).roles(made.sid).fetch()
    assert long_form.sid == made.sid
    assert long_form.url == f"{running.url}/v1/Services/{default}/Roles/{made.sid}"
    assert made.url == f"{running.url}/v1/Roles/{made.sid}"


def test_wire_shape(http: httpx.Client) -> None:
    made = http.post(
        "/v1/Roles",
        data={"FriendlyName": "shape", "Type": "service", "Permission": ["createConversation", "joinConversation"]},
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert set(body) == ROLE_KEYS
    assert body["permissions"] == ["createConversation", "joinConversation"]
    assert DATE.match(body["date_created"]) and body["date_created"] == body["date_updated"]
    fetched = http.get(f"/v1/Roles/{body['sid']}")
    assert fetched.json() == body
    deleted = http.delete(f"/v1/Roles/{body['sid']}")
    assert deleted.status_code == 204 and deleted.content == b""


def test_permissions_are_checked_against_the_role_type(twilio: V1) -> None:
    # Service-only and conversation-only permissions do not cross over.
    with twilio_error(400, 50104, "createConversation"):
        twilio.roles.create(friendly_name="x", type="conversation", permission=["createConversation"])
    with twilio_error(400, 50104, "sendMessage"):
        twilio.roles.create(friendly_name="x", type="service", permission=["sendMessage"])
    with twilio_error(400, 50104):
        twilio.roles.create(friendly_name="x", type="service", permission=["joinConversation", "fly"])
    with twilio_error(400, 50104):
        twilio.roles.create(friendly_name="x", type="service", permission=["joinconversation"])
    # The permissions real clients send beyond the documented table are accepted.
    extra = ["editAnyParticipantAttributes", "editOwnParticipantAttributes", "editNotificationLevel"]
    made = twilio.roles.create(
        friendly_name="extras", type="conversation", permission=[*extra, "addNonChatParticipant"]
    )
    assert made.permissions == [*extra, "addNonChatParticipant"]
    # A repeated permission is kept once, in first-seen order.
    twice = twilio.roles.create(
        friendly_name="twice", type="service", permission=["joinConversation", "editOwnUserInfo", "joinConversation"]
    )
    assert twice.permissions == ["joinConversation", "editOwnUserInfo"]
    assert len(twilio.roles.list()) == 6


def test_create_validation_changes_nothing(twilio: V1, http: httpx.Client) -> None:
    def post(**data: object) -> httpx.Response:
        return http.post("/v1/Roles", data=data)

    cases = [
        ({"Type": "service", "Permission": "joinConversation"}, 20001, "FriendlyName"),
        ({"FriendlyName": "r", "Permission": "joinConversation"}, 20001, "Type"),
        ({"FriendlyName": "r", "Type": "service"}, 20001, "Permission"),
        ({"FriendlyName": "r", "Type": "service", "Permission": ""}, 20001, "Permission"),
        ({"FriendlyName": "r", "Type": "channel", "Permission": "joinConversation"}, 50105, "channel"),
        ({"FriendlyName": "r", "Type": "Service", "Permission": "joinConversation"}, 50105, "Service"),
        ({"FriendlyName": "r" * 65, "Type": "service", "Permission": "joinConversation"}, 50003, "64"),
    ]
    for data, code, mentioned in cases:
        response = post(**data)
        body = error_of(response)
        assert (response.status_code, body["code"]) == (400, code), (data, body)
        assert mentioned in body["message"], (data, body)
    missing = error_of(post(Type="service", Permission="joinConversation"))
    assert missing["message"] == "Missing required parameter FriendlyName in the post body"
    with twilio_error(400, 50105):
        twilio.roles.create(friendly_name="bad", type="admin", permission=["sendMessage"])
    assert twilio.roles.create(friendly_name="r" * 64, type="service", permission=["joinConversation"]).sid
    assert len(twilio.roles.list()) == 5


def test_update_validation_changes_nothing(twilio: V1, http: httpx.Client) -> None:
    role = twilio.roles.create(friendly_name="keep", type="service", permission=["joinConversation"])
    with twilio_error(400, 50104):
        twilio.roles(role.sid).update(permission=["sendMessage"])
    with twilio_error(400, 50104):
        twilio.roles(role.sid).update(permission=["joinConversation", "nope"])
    missing = http.post(f"/v1/Roles/{role.sid}", data={})
    assert (missing.status_code, error_of(missing)["code"]) == (400, 20001)
    assert "Permission" in error_of(missing)["message"]
    # The other create parameters are not part of an update; sending them does not change the role.
    renamed = http.post(
        f"/v1/Roles/{role.sid}", data={"Permission": "editOwnUserInfo", "FriendlyName": "other", "Type": "conversation"}
    )
    assert renamed.status_code == 200
    assert (renamed.json()["friendly_name"], renamed.json()["type"]) == ("keep", "service")
    assert twilio.roles(role.sid).fetch().permissions == ["editOwnUserInfo"]


def test_role_in_use_cannot_be_deleted(twilio: V1) -> None:
    held = twilio.roles.create(friendly_name="held", type="service", permission=["joinConversation"])
    user = twilio.users.create(identity="holder", role_sid=held.sid)
    with twilio_error(409, 20409, held.sid):
        twilio.roles(held.sid).delete()
    assert twilio.roles(held.sid).fetch().sid == held.sid
    twilio.users(user.sid).delete()
    assert twilio.roles(held.sid).delete() is True

    # Roles the service configuration names are in use too, including the four defaults.
    service = twilio.configuration().fetch().default_chat_service_sid
    config = twilio.services(service).configuration()
    for sid in (
        config.fetch().default_chat_service_role_sid,
        config.fetch().default_conversation_role_sid,
        config.fetch().default_conversation_creator_role_sid,
    ):
        with twilio_error(409, 20409):
            twilio.roles(sid).delete()
    creator = twilio.roles.create(friendly_name="creator", type="conversation", permission=["sendMessage"])
    old_creator = config.fetch().default_conversation_creator_role_sid
    config.update(default_conversation_creator_role_sid=creator.sid)
    with twilio_error(409, 20409):
        twilio.roles(creator.sid).delete()
    # The previous creator role is no longer named anywhere and can go.
    assert twilio.roles(old_creator).delete() is True
    assert [r.friendly_name for r in twilio.roles.list()] == [
        "service admin",
        "service user",
        "channel user",
        "creator",
    ]


def test_roles_belong_to_one_service(twilio: V1, http: httpx.Client) -> None:
    mine = twilio.roles.create(friendly_name="mine", type="service", permission=["joinConversation"])
    other = twilio.services.create(friendly_name="other")
    with twilio_error(404, 20404):
        twilio.services(other.sid).roles(mine.sid).fetch()
    with twilio_error(404, 20404):
        twilio.services(other.sid).roles(mine.sid).update(permission=["editOwnUserInfo"])
    with twilio_error(404, 20404):
        twilio.services(other.sid).roles(mine.sid).delete()
    assert twilio.roles(mine.sid).fetch().permissions == ["joinConversation"]
    assert mine.sid not in {r.sid for r in twilio.services(other.sid).roles.list()}
    ghost = http.get(f"/v1/Services/IS{'0' * 32}/Roles")
    assert (ghost.status_code, error_of(ghost)["code"]) == (404, 20404)


def test_role_held_by_a_participant_cannot_be_deleted(twilio: V1) -> None:
    role = twilio.roles.create(friendly_name="speaker", type="conversation", permission=["sendMessage"])
    conversation = twilio.conversations.create(friendly_name="talk")
    participant = twilio.conversations(conversation.sid).participants.create(identity="p", role_sid=role.sid)
    assert participant.role_sid == role.sid
    with twilio_error(409, 20409, role.sid):
        twilio.roles(role.sid).delete()
    assert twilio.conversations(conversation.sid).participants(participant.sid).fetch().role_sid == role.sid
    twilio.conversations(conversation.sid).participants(participant.sid).delete()
    assert twilio.roles(role.sid).delete() is True
