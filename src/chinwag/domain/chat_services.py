"""Conversation Services (IS): each its own namespace of users, roles and conversations.

A new service comes with its four default roles and a configuration pointing at them
(decisions.md #7). Every account has a default service, used by the short `/v1/…` URLs.
"""

from __future__ import annotations

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.core.pagination import PageRequest
from chinwag.core.sids import SidPrefix
from chinwag.domain import roles, validation
from chinwag.domain.deps import Deps
from chinwag.domain.models import Page, Scope, Service, ServiceConfig
from chinwag.storage.db import Tx
from chinwag.storage.repos import accounts as account_repo
from chinwag.storage.repos import services as repo


async def create(tx: Tx, deps: Deps, account_sid: str, friendly_name: str | None, sid: str | None = None) -> Service:
    """`sid`: keep a known SID (an emulator Reset re-creates the default service as it was)."""
    name = validation.friendly_name(validation.required(friendly_name, "FriendlyName"))
    service = await repo.insert(tx, sid or deps.sid(SidPrefix.SERVICE), account_sid, name, deps.now())
    made = await roles.create_defaults(tx, deps, Scope(account_sid, service.sid))
    await repo.save_config(
        tx,
        ServiceConfig(
            chat_service_sid=service.sid,
            default_conversation_creator_role_sid=made["channel admin"].sid,
            default_conversation_role_sid=made["channel user"].sid,
            default_chat_service_role_sid=made["service user"].sid,
            reachability_enabled=False,
        ),
    )
    return service


async def fetch(tx: Tx, account_sid: str, sid: str, path: str) -> Service:
    service = await repo.get(tx, account_sid, sid)
    if service is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return service


async def page(tx: Tx, account_sid: str, req: PageRequest) -> Page[Service]:
    return await repo.page(tx, account_sid, req)


async def delete(tx: Tx, account_sid: str, sid: str, path: str) -> None:
    """Deletes the service with everything in it (roles, users, configuration: FK cascades)."""
    await fetch(tx, account_sid, sid, path)
    # Taken before reading the default: a concurrent update making this service the default either
    # finishes first (and this delete sees it) or waits and then finds the service gone.
    await account_repo.lock_config(tx, account_sid)
    if await account_repo.default_service_sid(tx, account_sid) == sid:
        raise TwilioError(ErrorCode.DEFAULT_SERVICE_DELETE, sid=sid)
    await repo.delete(tx, account_sid, sid)


async def resolve_scope(tx: Tx, account_sid: str, service_sid: str | None, path: str) -> Scope:
    """The short URL form means the account's default service; the long form must name one of its own."""
    if service_sid is None:
        default = await account_repo.default_service_sid(tx, account_sid)
        if default is None:  # only if the account row is missing, which auth already ruled out
            raise TwilioError(ErrorCode.NOT_FOUND, path=path)
        return Scope(account_sid, default)
    if not await repo.exists(tx, account_sid, service_sid):
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return Scope(account_sid, service_sid)
