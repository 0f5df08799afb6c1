"""Push bindings (BS): a user's device registered for push notifications of one service. A
client's push registration creates one (`register`, for the realtime layer); REST lists,
fetches and deletes them (docs/decisions.md #114)."""

from __future__ import annotations

from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.pagination import PageRequest
from chinwag.core.sids import SidPrefix
from chinwag.domain.deps import Deps
from chinwag.domain.models import Binding, Page, Scope
from chinwag.storage.db import Tx
from chinwag.storage.repos import bindings as repo

TYPES = ("apn", "gcm", "fcm", "twilsock")
MESSAGE_TYPES = ("new_message", "added_to_conversation", "removed_from_conversation")
FILTER_VALUES_MAX = 100


async def register(
    tx: Tx,
    deps: Deps,
    scope: Scope,
    identity: str,
    binding_type: str,
    endpoint: str,
    credential_sid: str | None = None,
    message_types: tuple[str, ...] = MESSAGE_TYPES,
) -> Binding:
    """A new binding of `identity` in the service (a client's push registration)."""
    if binding_type not in TYPES:
        raise invalid(f"Invalid value for BindingType: {binding_type!r}")
    now = deps.now()
    binding = Binding(
        0, deps.sid(SidPrefix.BINDING), scope.account_sid, scope.service_sid, credential_sid, endpoint,
        identity, binding_type, message_types, now, now,
    )  # fmt: skip
    return await repo.insert(tx, binding)


async def fetch(tx: Tx, scope: Scope, sid: str, path: str) -> Binding:
    found = await repo.get(tx, scope.service_sid, sid)
    if found is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return found


async def page(tx: Tx, scope: Scope, types: list[str], identities: list[str], req: PageRequest) -> Page[Binding]:
    types = [t for t in types if t]
    identities = [i for i in identities if i]
    for kind in types:
        if kind not in TYPES:
            raise invalid(f"Invalid value for BindingType: {kind!r} (one of {', '.join(TYPES)})")
    if len(types) + len(identities) > FILTER_VALUES_MAX:
        raise invalid(f"Too many filter values (at most {FILTER_VALUES_MAX})")
    return await repo.page(tx, scope.service_sid, sorted(set(types)), sorted(set(identities)), req)


async def delete(tx: Tx, scope: Scope, sid: str, path: str) -> None:
    if not await repo.delete(tx, scope.service_sid, sid):
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
