"""Messages (IM): indexes from 0, strictly increasing per conversation, never reused.

Posting locks the conversation row, allocates the index from its counter, inserts the message
and bumps the unread count of every participant whose horizon lies below it, all in one
transaction (decisions.md #12, #8). A message to an inactive conversation makes it active again;
a closed conversation takes none (409/50377).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import orjson

from chinwag.core.clock import iso
from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.pagination import PageRequest
from chinwag.core.sids import SidPrefix, looks_like
from chinwag.domain import conversations, delivery, media, sync_events, sync_shapes, timers, validation
from chinwag.domain.deps import Deps
from chinwag.domain.models import Conversation, Message, Page
from chinwag.storage.db import Tx
from chinwag.storage.repos import conversations as conversation_repo
from chinwag.storage.repos import messages as message_repo
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


@dataclass(frozen=True)
class _Fields:
    """A post's input, validated: what the message row takes from the request."""

    author: str
    body: str | None
    attributes: str
    subject: str | None
    created: str
    updated: str
    content_sid: str | None

    def message(
        self,
        sid: str,
        account_sid: str,
        service_sid: str,
        conversation_sid: str,
        index: int,
        participant_sid: str | None,
        delivery: str | None,
    ) -> Message:
        return Message(
            seq=0,
            sid=sid,
            account_sid=account_sid,
            chat_service_sid=service_sid,
            conversation_sid=conversation_sid,
            index=index,
            author=self.author,
            body=self.body,
            attributes=self.attributes,
            participant_sid=participant_sid,
            content_sid=self.content_sid,
            subject=self.subject,
            date_created=self.created,
            date_updated=self.updated,
            delivery=delivery,
        )


def _fields(deps: Deps, data: MessageInput) -> _Fields:
    if not data.body and not data.media_sids and not data.content_sid:
        raise TwilioError(ErrorCode.BODY_MISSING)
    if data.content_sid:
        validation.sid_of(data.content_sid, SidPrefix.CONTENT, "ContentSid")
    media.check_sids(data.media_sids)
    # In this order: the first invalid parameter is the one reported.
    author = _author(data.author) if data.author else "system"
    body = _body(data.body) if data.body else None
    attributes = validation.attributes(data.attributes, MESSAGE_ATTRIBUTES_MAX) if data.attributes else "{}"
    subject = _subject(data.subject) if data.subject else None
    created = validation.iso_date(data.date_created, "DateCreated") if data.date_created else deps.now()
    updated = validation.iso_date(data.date_updated, "DateUpdated") if data.date_updated else created
    return _Fields(author, body, attributes, subject, created, updated, data.content_sid or None)


async def post_plain(
    tx: Tx, deps: Deps, account_sid: str, service_sid: str | None, ref: str, data: MessageInput
) -> Message | None:
    """The whole post in one statement, where the storage offers it (PostgreSQL: one round trip
    instead of seven, migration 0014) and the post is a plain one: valid input, and a conversation
    that is active, has no timers and no SMS/WhatsApp participants (so no receipts, no state or
    deadline to move). Otherwise None, with nothing written: the caller then runs `post` as usual,
    whose checks and errors come in their own order (404 before a missing body). Must be the first
    statement of the write transaction; when it returns a message, the transaction has committed
    (docs/decisions.md #151)."""
    if not message_repo.posts_in_one(tx) or data.media_sids:  # media: attached by `post`
        return None
    try:
        fields = _fields(deps, data)
    except TwilioError:
        return None
    # Conversation, index and participant are filled in by the function.
    message = fields.message(deps.sid(SidPrefix.MESSAGE), account_sid, service_sid or "", "", 0, None, None)
    by_sid = looks_like(ref, SidPrefix.CONVERSATION)
    item = orjson.dumps(sync_shapes.message_item(message)).decode()  # its events: in the function
    return await message_repo.post_plain(
        tx, account_sid, service_sid, ref, by_sid, message, bool(data.author), item, deps.now()
    )


async def post(
    tx: Tx, deps: Deps, conv: Conversation, data: MessageInput, *, from_participant: str | None = None
) -> Message:
    """`conv` must have been fetched with its row locked. `from_participant`: the (non-chat)
    participant an inbound SMS/WhatsApp message came from; it is the author and gets no receipt."""
    if conv.state == timers.CLOSED:
        raise TwilioError(ErrorCode.CONVERSATION_CLOSED)
    fields = _fields(deps, data)
    author_participant_sid = (
        await participant_repo.sid_by_identity(tx, conv.sid, fields.author) if data.author else None
    )
    author_participant_sid = from_participant or author_participant_sid
    index, binding_participants = await conversation_repo.allocate(tx, conv.sid)
    recipients = await delivery.recipients(tx, conv.sid, binding_participants)
    recipients = [r for r in recipients if r[0] != from_participant]
    sid = deps.sid(SidPrefix.MESSAGE)
    receipts = delivery.summary(["sent"] * len(recipients))
    message = await message_repo.insert(
        tx,
        fields.message(sid, conv.account_sid, conv.chat_service_sid, conv.sid, index, author_participant_sid, receipts),
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
    message = await message_repo.get(tx, conv.sid, ref)
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
    changed = await message_repo.update(tx, replace(current, **changes))  # type: ignore[arg-type]
    await sync_events.message_updated(tx, changed, deps.now())
    return changed


async def delete(tx: Tx, conv: Conversation, ref: str, path: str, *, now: str | None = None) -> None:
    """`conv` locked: the unread counts of readers below this index drop by one with it. `now`:
    the request's time (Deps.now()), the date of its realtime events; default the server's."""
    current = await fetch(tx, conv, ref, path)
    await message_repo.delete(tx, current.sid)
    await participant_repo.message_removed(tx, conv.sid, current.index)
    await sync_events.message_removed(tx, conv, current, now or iso(time.time()))


async def page(tx: Tx, conv: Conversation, req: PageRequest, order: str | None) -> Page[Message]:
    if order not in (None, "asc", "desc"):
        raise TwilioError(ErrorCode.ORDER_INVALID, value=order)
    return await message_repo.page(tx, conv.sid, req, descending=order == "desc")
