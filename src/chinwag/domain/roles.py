"""Roles: permission sets of two types (Twilio's docs, decisions.md #7).

Roles gate what SDK users may do; REST calls made with account credentials are not checked
against them. A role that a user holds or the service configuration names cannot be deleted
(409, code 20409): deleting it would leave those references dangling.
"""

from __future__ import annotations

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.core.pagination import PageRequest
from chinwag.core.sids import SidPrefix
from chinwag.domain import validation
from chinwag.domain.deps import Deps
from chinwag.domain.models import Page, Role, Scope
from chinwag.storage.db import Tx
from chinwag.storage.repos import roles as repo

SERVICE_PERMISSIONS = (
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
)
CONVERSATION_PERMISSIONS = (
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
    # Sent by real clients though missing from the table in Twilio's docs.
    "editAnyParticipantAttributes",
    "editOwnParticipantAttributes",
    "editNotificationLevel",
    "addNonChatParticipant",
)
PERMISSIONS = {"service": SERVICE_PERMISSIONS, "conversation": CONVERSATION_PERMISSIONS}

DEFAULT_ROLES = (
    ("service admin", "service", SERVICE_PERMISSIONS),
    ("service user", "service", ("createConversation", "joinConversation", "editOwnUserInfo")),
    ("channel admin", "conversation", CONVERSATION_PERMISSIONS),
    (
        "channel user",
        "conversation",
        (
            "sendMessage",
            "sendMediaMessage",
            "leaveConversation",
            "editOwnMessage",
            "editOwnMessageAttributes",
            "deleteOwnMessage",
            "editOwnUserInfo",
            "editNotificationLevel",
        ),
    ),
)


def _checked_permissions(type_: str, permissions: list[str]) -> list[str]:
    if not permissions or all(p == "" for p in permissions):
        raise TwilioError(ErrorCode.MISSING_PARAMETER, name="Permission")
    allowed = PERMISSIONS[type_]
    for name in permissions:
        if name not in allowed:
            raise TwilioError(ErrorCode.PERMISSION_UNKNOWN, name=name)
    return list(dict.fromkeys(permissions))  # keep order, drop repeats


def _checked_type(value: str | None) -> str:
    type_ = validation.required(value, "Type")
    if type_ not in PERMISSIONS:
        raise TwilioError(ErrorCode.ROLE_TYPE_INVALID, value=type_)
    return type_


async def create(
    tx: Tx, deps: Deps, scope: Scope, friendly_name: str | None, type_: str | None, permissions: list[str]
) -> Role:
    name = validation.friendly_name(
        validation.required(friendly_name, "FriendlyName"), validation.ROLE_FRIENDLY_NAME_MAX
    )
    kind = _checked_type(type_)
    perms = _checked_permissions(kind, permissions)
    return await repo.insert(
        tx, deps.sid(SidPrefix.ROLE), scope.account_sid, scope.service_sid, name, kind, perms, deps.now()
    )


async def create_defaults(tx: Tx, deps: Deps, scope: Scope) -> dict[str, Role]:
    made = {}
    for name, kind, perms in DEFAULT_ROLES:
        made[name] = await repo.insert(
            tx, deps.sid(SidPrefix.ROLE), scope.account_sid, scope.service_sid, name, kind, list(perms), deps.now()
        )
    return made


async def fetch(tx: Tx, scope: Scope, sid: str, path: str) -> Role:
    role = await repo.get(tx, scope.service_sid, sid)
    if role is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return role


async def update(tx: Tx, deps: Deps, scope: Scope, sid: str, permissions: list[str], path: str) -> Role:
    role = await fetch(tx, scope, sid, path)
    perms = _checked_permissions(role.type, permissions)
    updated = await repo.set_permissions(tx, scope.service_sid, sid, perms, deps.now())
    assert updated is not None
    return updated


async def delete(tx: Tx, scope: Scope, sid: str, path: str) -> None:
    await fetch(tx, scope, sid, path)
    if await repo.in_use(tx, scope.service_sid, sid):
        raise TwilioError(ErrorCode.ROLE_IN_USE, sid=sid)
    await repo.delete(tx, scope.service_sid, sid)


async def page(tx: Tx, scope: Scope, req: PageRequest) -> Page[Role]:
    return await repo.page(tx, scope.service_sid, req)


async def require_role(tx: Tx, scope: Scope, sid: str, expected_type: str, name: str = "RoleSid") -> Role:
    """A RoleSid parameter: must name a role of this service, of the expected type. Not a role SID
    at all is a 400; a well-formed one that names nothing here is the 404 (docs/decisions.md #42)."""
    validation.sid_of(sid, SidPrefix.ROLE, name)
    role = await repo.get(tx, scope.service_sid, sid)
    if role is None:
        raise TwilioError(ErrorCode.ROLE_NOT_FOUND, sid=sid)
    if role.type != expected_type:
        raise TwilioError(ErrorCode.ROLE_WRONG_TYPE, sid=sid, actual=role.type, expected=expected_type)
    return role
