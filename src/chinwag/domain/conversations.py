"""Conversations (CH): create, update (with the state machine), fetch by SID or unique_name, delete.

Deleting a conversation deletes its participants and messages (FK cascades, Twilio's docs).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace

from chinwag.core.clock import iso
from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.pagination import PageRequest
from chinwag.core.sids import SidPrefix, looks_like
from chinwag.domain import sync_events, timers, validation
from chinwag.domain.configuration import check_timer, fetch_account
from chinwag.domain.deps import Deps
from chinwag.domain.models import Conversation, Page, Scope
from chinwag.domain.timers import ACTIVE, CLOSED, STATES
from chinwag.storage.db import Tx
from chinwag.storage.dialect import UniqueViolation
from chinwag.storage.repos import conversations as repo

CONVERSATION_ATTRIBUTES_MAX = 16 * 1024
UNIQUE_NAME_MAX = 256


@dataclass(frozen=True)
class ConversationInput:
    """The parameters of a create or update; None means "not sent"."""

    friendly_name: str | None = None
    unique_name: str | None = None
    attributes: str | None = None
    messaging_service_sid: str | None = None
    state: str | None = None
    timer_inactive: str | None = None
    timer_closed: str | None = None
    date_created: str | None = None
    date_updated: str | None = None
    email_address: str | None = None
    email_name: str | None = None


def _unique_name(value: str) -> str | None:
    if value == "":
        return None
    if looks_like(value, SidPrefix.CONVERSATION):
        raise TwilioError(ErrorCode.UNIQUE_NAME_LOOKS_LIKE_SID)
    if len(value) > UNIQUE_NAME_MAX:
        raise invalid(f"UniqueName is too long (maximum {UNIQUE_NAME_MAX} characters)")
    return value


def _state(value: str) -> str:
    if value == "":
        raise TwilioError(ErrorCode.STATE_EMPTY)
    if value not in STATES:
        raise TwilioError(ErrorCode.STATE_INVALID, value=value)
    return value


def _bindings(current: str | None, data: ConversationInput) -> str | None:
    if data.email_address is None and data.email_name is None:
        return current
    email = dict(json.loads(current).get("email", {})) if current else {}
    if data.email_address is not None:
        email["address"] = data.email_address
    if data.email_name is not None:
        email["name"] = data.email_name
    return json.dumps({"email": email})


def _apply(conv: Conversation, data: ConversationInput) -> Conversation:
    """The sent fields over the current values, each validated."""
    changes: dict[str, object] = {}
    if data.friendly_name is not None:
        changes["friendly_name"] = validation.friendly_name(data.friendly_name) if data.friendly_name else None
    if data.unique_name is not None:
        changes["unique_name"] = _unique_name(data.unique_name)
    if data.attributes is not None:
        changes["attributes"] = (
            validation.attributes(data.attributes, CONVERSATION_ATTRIBUTES_MAX) if data.attributes else "{}"
        )
    if data.messaging_service_sid is not None:
        changes["messaging_service_sid"] = (
            validation.sid_of(data.messaging_service_sid, SidPrefix.MESSAGING_SERVICE, "MessagingServiceSid")
            if data.messaging_service_sid
            else None
        )
    if data.state is not None:
        changes["state"] = _state(data.state)
    if data.timer_inactive is not None:
        changes["inactive_timer"] = check_timer(data.timer_inactive, closed=False) if data.timer_inactive else None
    if data.timer_closed is not None:
        changes["closed_timer"] = check_timer(data.timer_closed, closed=True) if data.timer_closed else None
    if data.date_created is not None:
        changes["date_created"] = validation.iso_date(data.date_created, "DateCreated")
    if data.date_updated is not None:
        changes["date_updated"] = validation.iso_date(data.date_updated, "DateUpdated")
    changes["bindings"] = _bindings(conv.bindings, data)
    return replace(conv, **changes)  # type: ignore[arg-type]


async def create(tx: Tx, deps: Deps, scope: Scope, data: ConversationInput) -> Conversation:
    timers_sent = data.timer_inactive is not None or data.timer_closed is not None
    if timers_sent and data.state is None:
        raise TwilioError(ErrorCode.TIMER_WITHOUT_STATE)
    if data.state == CLOSED:
        raise TwilioError(ErrorCode.INITIAL_STATE_CLOSED)
    account = await fetch_account(tx, scope.account_sid)
    now = deps.now()
    blank = Conversation(
        seq=0,
        sid=deps.sid(SidPrefix.CONVERSATION),
        account_sid=scope.account_sid,
        chat_service_sid=scope.service_sid,
        messaging_service_sid=account.default_messaging_service_sid,
        friendly_name=None,
        unique_name=None,
        attributes="{}",
        state=ACTIVE,
        created_by="system",
        bindings=None,
        # Account-level defaults apply unless the request sets timers itself (decisions.md #17).
        inactive_timer=None if timers_sent else account.default_inactive_timer,
        closed_timer=None if timers_sent else account.default_closed_timer,
        date_inactive=None,
        date_closed=None,
        date_created=now,
        date_updated=now,
    )
    conv = timers.with_deadlines(_apply(blank, data), deps.clock.now())
    try:
        return await repo.insert(tx, conv)
    except UniqueViolation:
        raise TwilioError(ErrorCode.UNIQUE_NAME_EXISTS) from None


async def fetch(tx: Tx, scope: Scope, ref: str, path: str, *, lock: bool = False) -> Conversation:
    conv = await repo.find(tx, scope.service_sid, ref, lock=lock)
    if conv is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return conv


async def update(tx: Tx, deps: Deps, scope: Scope, ref: str, path: str, data: ConversationInput) -> Conversation:
    conv = await fetch(tx, scope, ref, path, lock=True)
    if conv.state == CLOSED:
        raise TwilioError(ErrorCode.CONVERSATION_CLOSED)
    changed = _apply(conv, data)
    if data.date_updated is None:
        changed = replace(changed, date_updated=deps.now())
    state_or_timers = (changed.state, changed.inactive_timer, changed.closed_timer) != (
        conv.state,
        conv.inactive_timer,
        conv.closed_timer,
    )
    if state_or_timers and changed.state != CLOSED:
        changed = timers.with_deadlines(changed, deps.clock.now())
    try:
        if changed.state == CLOSED:
            done = await timers.close(tx, changed, changed.date_updated)
        else:
            done = await repo.update(tx, changed)
    except UniqueViolation:
        raise TwilioError(ErrorCode.UNIQUE_NAME_EXISTS) from None
    await sync_events.conversation_updated(tx, done, deps.now())
    return done


async def delete(tx: Tx, scope: Scope, ref: str, path: str, *, now: str | None = None) -> None:
    """`now`: the request's time (Deps.now()), the date of its realtime events; default the server's."""
    conv = await fetch(tx, scope, ref, path, lock=True)
    await sync_events.conversation_removing(tx, conv, now or iso(time.time()))
    await repo.delete(tx, conv.sid)


async def page(
    tx: Tx, scope: Scope, req: PageRequest, state: str | None, start: str | None, end: str | None
) -> Page[Conversation]:
    if state is not None and state not in STATES:
        raise TwilioError(ErrorCode.STATE_INVALID, value=state)
    start_iso = validation.iso_date(start, "StartDate") if start else None
    end_iso = validation.iso_date(end, "EndDate") if end else None
    return await repo.page(tx, scope.service_sid, req, state, start_iso, end_iso)


async def touch(tx: Tx, deps: Deps, conv: Conversation) -> Conversation:
    """Activity (a new message): an inactive conversation becomes active again, and the
    inactivity deadlines move forward. Costs nothing for a conversation without timers."""
    if conv.state == ACTIVE and not timers.has_timers(conv):
        return conv
    active = replace(conv, state=ACTIVE)
    if conv.state != ACTIVE:
        active = replace(active, date_updated=deps.now())
    return await repo.update(tx, timers.with_deadlines(active, deps.clock.now()))
