"""Media (ME…): files uploaded to a Conversation Service and attached to messages.

An upload belongs to one service of one account and to nobody's message until a message takes it
(`attach_media`, called for REST `MediaSid` and for the chat client's `sendMessage({media_sids})`).
A medium is attached once; the message then lists it in its `media` field, stored with the message
so a page of messages needs no further query (docs/decisions.md #144-#149).
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.sids import SidPrefix, looks_like
from chinwag.domain.deps import Deps
from chinwag.domain.models import Media, Message
from chinwag.storage.db import Tx
from chinwag.storage.repos import media as repo
from chinwag.storage.repos import messages as message_repo
from chinwag.storage.repos import participants as participant_repo

CATEGORIES = ("media", "body", "history")  # the JS client's MediaCategory values
CONTENT_TYPE_MAX = 255
FILENAME_MAX = 1024
ATTACH_MAX = 10  # media on one message (#147)
DEFAULT_MAX_BYTES = 16 * 1024 * 1024


async def create(
    tx: Tx,
    deps: Deps,
    account_sid: str,
    service_sid: str,
    *,
    author: str | None,
    content_type: str | None,
    filename: str | None,
    category: str | None,
    content: bytes,
) -> Media:
    """A new upload. The service must be the account's (the caller checked it)."""
    kind = (content_type or "").strip()
    if not kind:
        raise invalid("Content-Type is required: the media's MIME type, e.g. image/png")
    if len(kind) > CONTENT_TYPE_MAX or not kind.isprintable():
        raise invalid(f"Content-Type is not a valid MIME type (at most {CONTENT_TYPE_MAX} characters)")
    category = category or "media"
    if category not in CATEGORIES:
        raise invalid(f"Invalid value for Category: {category} (use {', '.join(CATEGORIES)})")
    if filename is not None and (len(filename) > FILENAME_MAX or "\x00" in filename):
        raise invalid(f"Filename is too long (maximum {FILENAME_MAX} characters)")
    now = deps.now()
    media = Media(
        sid=deps.sid(SidPrefix.MEDIA),
        account_sid=account_sid,
        chat_service_sid=service_sid,
        conversation_sid=None,
        message_sid=None,
        author=author,
        content_type=kind,
        filename=filename or None,
        category=category,
        size=len(content),
        date_created=now,
        date_updated=now,
    )
    return await repo.insert(tx, media, content)


async def fetch(tx: Tx, account_sid: str, service_sid: str, sid: str, viewer: str | None) -> Media:
    """The medium, as `viewer` may see it: None = account credentials (everything of the account);
    an identity = a chat client, who sees its own uploads and the media of conversations it is a
    participant of (#145). Anything else is not found, never forbidden: existence is not revealed."""
    media = await repo.get(tx, account_sid, service_sid, sid) if looks_like(sid, SidPrefix.MEDIA) else None
    if media is None or not await _may_see(tx, media, viewer):
        raise TwilioError(ErrorCode.MEDIA_NOT_FOUND, sid=sid)
    return media


async def _may_see(tx: Tx, media: Media, viewer: str | None) -> bool:
    if viewer is None or media.author == viewer:
        return True
    if media.conversation_sid is None:
        return False
    return await participant_repo.sid_by_identity(tx, media.conversation_sid, viewer) is not None


def summary(media: Media) -> dict[str, object]:
    """One entry of a message's `media` list."""
    return {
        "sid": media.sid,
        "size": media.size,
        "content_type": media.content_type,
        "filename": media.filename,
        "category": media.category,
    }


def check_sids(media_sids: Sequence[str]) -> None:
    """The shape of a list of media SIDs, checked before anything is written."""
    for sid in media_sids:
        if not isinstance(sid, str) or not looks_like(sid, SidPrefix.MEDIA):
            raise TwilioError(ErrorCode.MEDIA_SID_INVALID, value=sid)
    if len(set(media_sids)) != len(media_sids):
        raise invalid("The same media SID is given twice")
    if len(media_sids) > ATTACH_MAX:
        raise invalid(f"Too many media on one message (at most {ATTACH_MAX})")


async def attach_media(tx: Tx, deps: Deps, message: Message, media_sids: Sequence[str]) -> Message:
    """Give uploads of the message's service to `message` (in the caller's transaction, after the
    message was inserted) and store its `media` list; returns the message as it now is. Unknown
    media (or another account's or service's) 404/50507, media already on a message 409/50508,
    a malformed SID 400/50510; the caller's transaction then rolls back with the message."""
    if not media_sids:
        return message
    check_sids(media_sids)
    sids = list(media_sids)
    taken = await repo.attach(
        tx, message.account_sid, message.chat_service_sid, sids, message.conversation_sid, message.sid, deps.now()
    )
    if len(taken) != len(sids):
        got = {m.sid for m in taken}
        found = await repo.existing(tx, message.account_sid, message.chat_service_sid, sids)
        for sid in sids:
            if sid not in found:
                raise TwilioError(ErrorCode.MEDIA_NOT_FOUND, sid=sid)
            if sid not in got:
                raise TwilioError(ErrorCode.MEDIA_ALREADY_SENT, sid=sid)
    by_sid = {m.sid: m for m in taken}
    listed = orjson.dumps([summary(by_sid[sid]) for sid in sids]).decode()
    return await message_repo.set_media(tx, message.sid, listed)
