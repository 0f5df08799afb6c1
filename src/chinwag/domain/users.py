"""Users (US): identity unique per service and case-sensitive; SID or identity in every path.

`role_sid` is the service's default user role unless `RoleSid` names a service-type role of the
same service. Uniqueness under concurrent creates comes from the database's unique constraint
(chat_service_sid, identity), not from a check-then-insert.
"""

from __future__ import annotations

import time
from dataclasses import replace

from chinwag.core.clock import iso
from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.core.pagination import PageRequest
from chinwag.core.sids import SidPrefix
from chinwag.domain import roles, sync_events, validation
from chinwag.domain.deps import Deps
from chinwag.domain.models import Page, Scope, User
from chinwag.storage.db import Tx
from chinwag.storage.dialect import UniqueViolation
from chinwag.storage.repos import services as service_repo
from chinwag.storage.repos import users as repo


async def _role_for(tx: Tx, scope: Scope, role_sid: str | None) -> str:
    if role_sid:
        return (await roles.require_role(tx, scope, role_sid, "service")).sid
    cfg = await service_repo.config(tx, scope.service_sid)
    assert cfg is not None and cfg.default_chat_service_role_sid is not None
    return cfg.default_chat_service_role_sid


def check_attributes(value: str) -> str:
    return validation.attributes(value, validation.USER_ATTRIBUTES_MAX)


async def create(
    tx: Tx,
    deps: Deps,
    scope: Scope,
    identity: str | None,
    friendly_name: str | None = None,
    attributes: str | None = None,
    role_sid: str | None = None,
) -> User:
    fields = _validated(identity, friendly_name, attributes)
    return await _insert(tx, deps, scope, await _role_for(tx, scope, role_sid), fields)


async def create_in(
    tx: Tx,
    deps: Deps,
    account_sid: str,
    service_sid: str | None,
    path: str,
    identity: str | None,
    friendly_name: str | None = None,
    attributes: str | None = None,
    role_sid: str | None = None,
    *,
    alone: bool = False,
) -> User:
    """`create` in the URL's service (None: the account's default), resolved together with the
    service's default role in one read. `alone`: the insert is all the request writes (no event to
    record with it), so on PostgreSQL it commits by itself: two round trips in all, where BEGIN,
    scope, role, INSERT and COMMIT took five (docs/decisions.md #151)."""
    cfg = await service_repo.scoped_config(tx, account_sid, service_sid)
    if cfg is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    scope = Scope(account_sid, cfg.chat_service_sid)
    fields = _validated(identity, friendly_name, attributes)
    if role_sid:
        role = (await roles.require_role(tx, scope, role_sid, "service")).sid
    else:
        assert cfg.default_chat_service_role_sid is not None
        role = cfg.default_chat_service_role_sid
    return await _insert(tx, deps, scope, role, fields, alone=alone and not role_sid)


def _validated(identity: str | None, friendly_name: str | None, attributes: str | None) -> tuple[str, str | None, str]:
    """(identity, friendly name, attributes) checked, in the order their errors are reported."""
    ident = validation.identity(identity)
    name = validation.friendly_name(friendly_name) if friendly_name else None
    return ident, name, check_attributes(attributes) if attributes else "{}"


async def _insert(
    tx: Tx, deps: Deps, scope: Scope, role_sid: str, fields: tuple[str, str | None, str], *, alone: bool = False
) -> User:
    now = deps.now()
    ident, name, attrs = fields
    user = User(
        seq=0,
        sid=deps.sid(SidPrefix.USER),
        account_sid=scope.account_sid,
        chat_service_sid=scope.service_sid,
        identity=ident,
        friendly_name=name,
        attributes=attrs,
        role_sid=role_sid,
        date_created=now,
        date_updated=now,
    )
    try:
        return await repo.insert(tx, user, alone=alone)
    except UniqueViolation:
        raise TwilioError(ErrorCode.USER_EXISTS) from None


async def fetch(tx: Tx, scope: Scope, sid_or_identity: str, path: str) -> User:
    user = await repo.find(tx, scope.service_sid, sid_or_identity)
    if user is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return user


async def fetch_in_reachable(
    tx: Tx, account_sid: str, service_sid: str | None, sid_or_identity: str, path: str
) -> tuple[User, bool]:
    """The user, with the URL's service resolved in the same query (the short form: the account's
    default service; an unknown or foreign service is a 404 for the path, as `resolve_scope`
    says), and whether that service has reachability on."""
    found = await repo.find_in_reachable(tx, account_sid, service_sid, sid_or_identity)
    if found is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return found


async def update(
    tx: Tx,
    deps: Deps,
    scope: Scope,
    sid_or_identity: str,
    path: str,
    friendly_name: str | None = None,
    attributes: str | None = None,
    role_sid: str | None = None,
) -> User:
    """Only the parameters sent change; an empty FriendlyName clears it, empty Attributes resets to `{}`."""
    user = await fetch(tx, scope, sid_or_identity, path)
    changes: dict[str, object] = {}
    if friendly_name is not None:
        changes["friendly_name"] = validation.friendly_name(friendly_name) if friendly_name else None
    if attributes is not None:
        changes["attributes"] = check_attributes(attributes) if attributes else "{}"
    if role_sid:
        changes["role_sid"] = (await roles.require_role(tx, scope, role_sid, "service")).sid
    if not changes:
        return user
    if "friendly_name" in changes or "attributes" in changes:
        await sync_events.hold_user(tx, user)  # before the row's lock: docs/decisions.md #139
    changed = await repo.update(tx, replace(user, date_updated=deps.now(), **changes))  # type: ignore[arg-type]
    await sync_events.user_updated(tx, user, changed, changed.date_updated)
    return changed


async def delete(tx: Tx, scope: Scope, sid_or_identity: str, path: str, *, now: str | None = None) -> None:
    """Deletes the user; their participants go with them (decisions.md #5), their messages stay.
    `now`: the request's time (Deps.now()), the date of its realtime events; default the server's."""
    user = await fetch(tx, scope, sid_or_identity, path)
    gone = await sync_events.user_deleting(tx, user)
    await repo.delete(tx, user.sid)
    await sync_events.user_deleted(tx, user, gone, now or iso(time.time()))


async def page(tx: Tx, scope: Scope, req: PageRequest) -> Page[tuple[str, str]]:
    """(SID, `user_record.record_json`) of each user on the page."""
    return await repo.page_records(tx, scope.service_sid, req)
