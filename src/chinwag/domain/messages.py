"""Messages (IM): indexes from 0, strictly increasing per conversation, never reused.

Posting locks the conversation row, allocates the index from its counter, inserts the message
and bumps the unread count of every participant whose horizon lies below it, all in one
transaction (decisions.md #12, #8). A message to an inactive conversation makes it active again;
a closed conversation takes none (409/50377).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from chinwag.core.clock import iso
from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.pagination import PageRequest
from chinwag.core.sids import SidPrefix
from chinwag.domain import conversations, delivery, media, sync_events, timers, validation
from chinwag.domain.deps import Deps
from chinwag.domain.models import Conversation, Message, Page
from chinwag.storage.db import Tx
from chinwag.storage.repos import conversations as conversation_repo
from chinwag.storage.repos import messages as repo
from chinwag.storage.repos import participants as participant_repo

MESSAGE_ATTRIBUTES_MAX = 4 * 1024
BODY_MAX = 32 * 1024  # chat limit (Twilio's docs)
AUTHOR_MAX = 256
SUBJECT_MAX = 256


@dataclass(frozen=True)
class MessageInput:
    author: str | None = None
    body: str | None = None
    attributes: str | None = None
    date_created: str | None = None
    date_updated: str | None = None
    content_sid: str | None = None
    # Uploads to attach (REST `MediaSid`, the chat client's `media_sids`): domain/media.py.
    media_sids: tuple[str, ...] = ()
    subject: str | None = None


def _author(value: str) -> str:
    if len(value) > AUTHOR_MAX:
        raise TwilioError(ErrorCode.AUTHOR_TOO_LONG, limit=AUTHOR_MAX)
    return value


def _body(value: str) -> str:
    if len(value) > BODY_MAX:
        raise TwilioError(ErrorCode.BODY_TOO_LONG, limit=BODY_MAX)
    return value


def _subject(value: str) -> str:
    if len(value) > SUBJECT_MAX:
        raise invalid(f"Subject is too long (maximum {SUBJECT_MAX} characters)")
    return value


async def post(
    tx: Tx, deps: Deps, conv: Conversation, data: MessageInput, *, from_participant: str | None = None
) -> Message:
    """`conv` must have been fetched with its row locked. `from_participant`: the (non-chat)
    participant an inbound SMS/WhatsApp message came from; it is the author and gets no receipt."""
    if conv.state == timers.CLOSED:
        raise TwilioError(ErrorCode.CONVERSATION_CLOSED)
    if not data.body and not data.media_sids and not data.content_sid:
        raise TwilioError(ErrorCode.BODY_MISSING)
    if data.content_sid:
        validation.sid_of(data.content_sid, SidPrefix.CONTENT, "ContentSid")
    media.check_sids(data.media_sids)
    author = _author(data.author) if data.author else "system"
    body = _body(data.body) if data.body else None
    attributes = validation.attributes(data.attributes, MESSAGE_ATTRIBUTES_MAX) if data.attributes else "{}"
    subject = _subject(data.subject) if data.subject else None
    created = validation.iso_date(data.date_created, "DateCreated") if data.date_created else deps.now()
    updated = validation.iso_date(data.date_updated, "DateUpdated") if data.date_updated else created
    author_participant_sid = await participant_repo.sid_by_identity(tx, conv.sid, author) if data.author else None
    author_participant_sid = from_participant or author_participant_sid
    index, binding_participants = await conversation_repo.allocate(tx, conv.sid)
    recipients = await delivery.recipients(tx, conv.sid, binding_participants)
    recipients = [r for r in recipients if r[0] != from_participant]
    message = await repo.insert(
        tx,
        Message(
            seq=0,
            sid=deps.sid(SidPrefix.MESSAGE),
            account_sid=conv.account_sid,
            chat_service_sid=conv.chat_service_sid,
            conversation_sid=conv.sid,
            index=index,
            author=author,
            body=body,
            attributes=attributes,
            participant_sid=author_participant_sid,
            content_sid=data.content_sid or None,
            subject=subject,
            date_created=created,
            date_updated=updated,
            delivery=delivery.summary(["sent"] * len(recipients)),
        ),
    )
    if data.media_sids:
        message = await media.attach_media(tx, deps, message, data.media_sids)
    if recipients:
        await delivery.record(tx, deps, message, recipients)
    await participant_repo.message_added(tx, conv.sid, index)
    touched = await conversations.touch(tx, deps, conv)
    await sync_events.message_added(tx, touched, message, deps.now())
    return message


async def fetch(tx: Tx, conv: Conversation, ref: str, path: str) -> Message:
    message = await repo.get(tx, conv.sid, ref)
    if message is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return message


async def update(tx: Tx, deps: Deps, conv: Conversation, ref: str, path: str, data: MessageInput) -> Message:
    """`conv` locked: the messages list's events are ordered by that lock (domain/sync_events.py)."""
    if conv.state == timers.CLOSED:
        raise TwilioError(ErrorCode.CONVERSATION_CLOSED)
    current = await fetch(tx, conv, ref, path)
    changes: dict[str, object] = {}
    if data.author is not None:
        changes["author"] = _author(data.author) if data.author else "system"
        # participant_sid follows the author (docs/decisions.md).
        changes["participant_sid"] = (
            await participant_repo.sid_by_identity(tx, conv.sid, data.author) if data.author else None
        )
    if data.body is not None:
        changes["body"] = _body(data.body) if data.body else None
    if data.attributes is not None:
        changes["attributes"] = (
            validation.attributes(data.attributes, MESSAGE_ATTRIBUTES_MAX) if data.attributes else "{}"
        )
    if data.subject is not None:
        changes["subject"] = _subject(data.subject) if data.subject else None
    if data.date_created is not None:
        changes["date_created"] = validation.iso_date(data.date_created, "DateCreated")
    changes["date_updated"] = validation.iso_date(data.date_updated, "DateUpdated") if data.date_updated else deps.now()
    changed = await repo.update(tx, replace(current, **changes))  # type: ignore[arg-type]
    await sync_events.message_updated(tx, changed, deps.now())
    return changed


async def delete(tx: Tx, conv: Conversation, ref: str, path: str, *, now: str | None = None) -> None:
    """`conv` locked: the unread counts of readers below this index drop by one with it. `now`:
    the request's time (Deps.now()), the date of its realtime events; default the server's."""
    current = await fetch(tx, conv, ref, path)
    await repo.delete(tx, current.sid)
    await participant_repo.message_removed(tx, conv.sid, current.index)
    await sync_events.message_removed(tx, conv, current, now or iso(time.time()))


async def page(tx: Tx, conv: Conversation, req: PageRequest, order: str | None) -> Page[Message]:
    if order not in (None, "asc", "desc"):
        raise TwilioError(ErrorCode.ORDER_INVALID, value=order)
    return await repo.page(tx, conv.sid, req, descending=order == "desc")
