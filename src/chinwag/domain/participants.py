"""Participants (MB): chat participants (an Identity, backed by a User) and non-chat ones (a
messaging binding: Address + ProxyAddress, or a ProjectedAddress for group MMS; no User).

An unknown Identity creates the User with the service's default role (decisions.md #6). One
identity per conversation (409/50433) and one open address+proxy pair per account (409/50416)
are unique constraints, so concurrent adds cannot both win. A closed conversation takes no new
participants (409/50377).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from chinwag.core.clock import iso
from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.pagination import PageRequest
from chinwag.core.sids import SidPrefix
from chinwag.domain import read_state, roles, sync_events, timers, validation
from chinwag.domain.deps import Deps
from chinwag.domain.models import Conversation, Membership, Page, Participant, Scope, ServiceConfig, User
from chinwag.storage.db import Tx
from chinwag.storage.dialect import UniqueViolation
from chinwag.storage.repos import participants as repo
from chinwag.storage.repos import services as service_repo
from chinwag.storage.repos import users as user_repo

PARTICIPANT_ATTRIBUTES_MAX = 4 * 1024
ADDRESS_MAX = 256


@dataclass(frozen=True)
class ParticipantInput:
    identity: str | None = None
    address: str | None = None
    proxy_address: str | None = None
    projected_address: str | None = None
    attributes: str | None = None
    role_sid: str | None = None
    date_created: str | None = None
    date_updated: str | None = None
    last_read_message_index: str | None = None
    last_read_timestamp: str | None = None


def _address(value: str, name: str) -> str:
    if len(value) > ADDRESS_MAX:
        raise invalid(f"{name} is too long (maximum {ADDRESS_MAX} characters)")
    return value


def _binding_type(address: str | None) -> str:
    return "whatsapp" if address and address.startswith("whatsapp:") else "sms"


def binding_key(p: Participant) -> str | None:
    if p.binding_address is None:
        return None
    return f"{p.binding_address}|{p.binding_proxy_address or p.binding_projected_address or ''}"


async def _user_for(tx: Tx, deps: Deps, scope: Scope, identity: str, cfg: ServiceConfig | None) -> User:
    assert cfg is not None and cfg.default_chat_service_role_sid is not None
    now = deps.now()
    candidate = User(
        0, deps.sid(SidPrefix.USER), scope.account_sid, scope.service_sid, identity, None, "{}",
        cfg.default_chat_service_role_sid, now, now,
    )  # fmt: skip
    return await user_repo.insert_if_absent(tx, candidate)


async def _role_for(tx: Tx, scope: Scope, role_sid: str | None, cfg: ServiceConfig | None) -> str | None:
    if role_sid:
        return (await roles.require_role(tx, scope, role_sid, "conversation")).sid
    return None if cfg is None else cfg.default_conversation_role_sid


async def add(tx: Tx, deps: Deps, scope: Scope, conv: Conversation, data: ParticipantInput) -> Participant:
    """`conv` must have been fetched with its row locked (a concurrent close then waits for us)."""
    if conv.state == timers.CLOSED:
        raise TwilioError(ErrorCode.CONVERSATION_CLOSED)
    chat = bool(data.identity)
    # A ProjectedAddress is the group-MMS mask of a chat participant (with Identity), or on its own
    # a non-chat participant; only Address excludes Identity (docs/decisions.md).
    non_chat = bool(data.address or (data.projected_address and not chat))
    if chat and non_chat:
        raise TwilioError(ErrorCode.IDENTITY_FOR_NON_CHAT)
    if not chat and not non_chat:
        raise TwilioError(ErrorCode.PARTICIPANT_KIND_MISSING)
    attributes = validation.attributes(data.attributes, PARTICIPANT_ATTRIBUTES_MAX) if data.attributes else "{}"
    identity = validation.identity(data.identity) if chat else None
    address = _address(data.address, "MessagingBinding.Address") if data.address else None
    proxy = _address(data.proxy_address, "MessagingBinding.ProxyAddress") if data.proxy_address else None
    projected = (
        _address(data.projected_address, "MessagingBinding.ProjectedAddress") if data.projected_address else None
    )
    created = validation.iso_date(data.date_created, "DateCreated") if data.date_created else deps.now()
    updated = validation.iso_date(data.date_updated, "DateUpdated") if data.date_updated else created
    horizon = read_state.parse_horizon(data.last_read_message_index) if data.last_read_message_index else None
    # Read once for both the default role and a new user's role (one round trip on PostgreSQL).
    cfg = await service_repo.config(tx, scope.service_sid) if identity is not None or not data.role_sid else None
    role_sid = await _role_for(tx, scope, data.role_sid, cfg)
    if identity is not None:  # the user's realtime lock before its row (docs/decisions.md #139)
        await sync_events.hold_identities(tx, scope.service_sid, [identity])
    user = await _user_for(tx, deps, scope, identity, cfg) if identity is not None else None
    participant = Participant(
        seq=0,
        sid=deps.sid(SidPrefix.PARTICIPANT),
        account_sid=scope.account_sid,
        chat_service_sid=scope.service_sid,
        conversation_sid=conv.sid,
        user_sid=None if user is None else user.sid,
        identity=identity,
        attributes=attributes,
        role_sid=role_sid,
        binding_type=None if not (address or projected) else _binding_type(address),
        binding_address=address,
        binding_proxy_address=proxy,
        binding_projected_address=projected,
        last_read_message_index=None,
        last_read_timestamp=None,
        unread_count=0,
        notification_level="default",
        date_created=created,
        date_updated=updated,
    )
    try:
        made = await repo.insert(tx, participant, binding_key(participant), conv.seq)
    except UniqueViolation as exc:
        if "binding" in exc.detail:
            raise TwilioError(ErrorCode.BINDING_IN_USE) from None
        raise TwilioError(ErrorCode.PARTICIPANT_EXISTS) from None
    if horizon is not None:
        made = await repo.set_horizon(tx, made, horizon, updated)
    await sync_events.participant_added(tx, made, deps.now())
    return made


async def fetch(tx: Tx, conv: Conversation, ref: str, path: str, *, lock: bool = False) -> Participant:
    """By SID, or by the chat participant's identity."""
    found = await repo.get(tx, conv.sid, ref, lock=lock)
    if found is None:  # any identity may start with "MB" (only User-SID shapes are refused)
        found = await repo.by_identity(tx, conv.sid, ref, lock=lock)
    if found is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return found


async def update(
    tx: Tx, deps: Deps, scope: Scope, conv: Conversation, ref: str, path: str, data: ParticipantInput
) -> Participant:
    current = await fetch(tx, conv, ref, path, lock=True)
    changes: dict[str, object] = {}
    if data.attributes is not None:
        changes["attributes"] = (
            validation.attributes(data.attributes, PARTICIPANT_ATTRIBUTES_MAX) if data.attributes else "{}"
        )
    if data.role_sid:
        changes["role_sid"] = await _role_for(tx, scope, data.role_sid, None)
    if data.identity is not None and data.identity != (current.identity or ""):
        raise TwilioError(ErrorCode.IDENTITY_IMMUTABLE)
    bindings = (("binding_proxy_address", data.proxy_address), ("binding_projected_address", data.projected_address))
    for name, value in bindings:
        if value is None:
            continue
        if current.binding_address is None and current.binding_projected_address is None:
            raise TwilioError(ErrorCode.BINDING_ON_CHAT_PARTICIPANT)
        # The literal `null` removes the value (Twilio's docs).
        changes[name] = None if value in ("", "null") else _address(value, name)
    if data.date_created is not None:
        changes["date_created"] = validation.iso_date(data.date_created, "DateCreated")
    changes["date_updated"] = validation.iso_date(data.date_updated, "DateUpdated") if data.date_updated else deps.now()
    horizon: tuple[int | None, str] | None = None
    if data.last_read_message_index is not None:  # validated before writing anything
        horizon = (read_state.parse_horizon(data.last_read_message_index), deps.now())
    if data.last_read_timestamp is not None:
        changes["last_read_timestamp"] = read_state.parse_timestamp(data.last_read_timestamp)
    changed = replace(current, **changes)  # type: ignore[arg-type]
    # The horizon moves in the same UPDATE (one round trip less on PostgreSQL); see set_horizon.
    changed = await repo.update(tx, changed, horizon=horizon)
    if conv.state != timers.CLOSED and binding_key(changed) != binding_key(current):
        try:
            await repo.set_binding_key(tx, changed.sid, binding_key(changed))
        except UniqueViolation:
            raise TwilioError(ErrorCode.BINDING_IN_USE) from None
    await sync_events.participant_updated(tx, current, changed, deps.now())
    return changed


async def remove(tx: Tx, conv: Conversation, ref: str, path: str, *, now: str | None = None) -> None:
    """`conv` locked (the roster's realtime events keep commit order). `now`: the request's time
    (Deps.now()), the date of its realtime events; default the server's."""
    current = await fetch(tx, conv, ref, path)
    await repo.delete(tx, current.sid)
    await sync_events.participants_removed(tx, [current], now or iso(time.time()))


async def page(tx: Tx, conv: Conversation, req: PageRequest) -> Page[Participant]:
    return await repo.page(tx, conv.sid, req)


async def conversations_of(
    tx: Tx, scope: Scope, req: PageRequest, *, identity: str | None, address: str | None
) -> Page[Membership]:
    """ParticipantConversations: where an identity, or a messaging address, takes part."""
    if identity and address:
        raise TwilioError(ErrorCode.IDENTITY_AND_ADDRESS)
    if identity:
        return await repo.memberships_by_identity(tx, scope.service_sid, identity, req)
    if address:
        return await repo.memberships_by_address(tx, scope.account_sid, scope.service_sid, address, req)
    raise TwilioError(ErrorCode.FILTER_MISSING)


async def require_member(tx: Tx, conv: Conversation, identity: str) -> None:
    """A chat client acts only where its user is a participant (docs/decisions.md #73): REST's
    client identities (http/hooks.py) and the realtime socket (realtime/aim_writes.py)."""
    if await repo.sid_by_identity(tx, conv.sid, identity) is None:
        raise TwilioError(ErrorCode.CLIENT_NOT_PARTICIPANT, identity=identity)
