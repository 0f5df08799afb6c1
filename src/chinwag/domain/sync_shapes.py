"""What Twilio's JS client reads as Sync objects, built from chinwag's own rows (no I/O here).

The client sees a conversation as a document (`{CH}.doc`), a list of messages (`{CH}.msgs`, item
index = message index) and a roster map (`{CH}.roster`, key = participant SID); a user as a map of
user info (`{US}.info`: `friendlyName`, `attributes`, `reachability`) and a map of the user's
conversations (`{US}.convs`, key = conversation SID). The field names are the legacy
IP-Messaging ones the client maps (docs/ARCHITECTURE.md, "The event log and the Sync projection").
Message, participant and user `attributes` are JSON *strings* (the client reads an object there as
malformed); the document's are the parsed value, which it accepts.

The same functions shape an event's data (domain/sync_events.py) and a read (realtime/sync_reads.py),
so what a GET answers and what an event later replaces it with cannot drift apart.
"""

from __future__ import annotations

from typing import Any

import orjson

from chinwag.domain.models import Conversation, Message, Participant, User

DOC, MSGS, ROSTER, INFO, CONVS = "doc", "msgs", "roster", "info", "convs"
KINDS = {DOC: "document", MSGS: "list", ROSTER: "map", INFO: "map", CONVS: "map"}
INFO_KEYS = ("attributes", "friendlyName", "reachability")  # sorted: map keys page in this order


def doc_id(conversation_sid: str) -> str:
    return f"{conversation_sid}.{DOC}"


def msgs_id(conversation_sid: str) -> str:
    return f"{conversation_sid}.{MSGS}"


def roster_id(conversation_sid: str) -> str:
    return f"{conversation_sid}.{ROSTER}"


def info_id(user_sid: str) -> str:
    return f"{user_sid}.{INFO}"


def convs_id(user_sid: str) -> str:
    return f"{user_sid}.{CONVS}"


def split(object_sid: str) -> tuple[str, str] | None:
    """(owner SID, kind) of an object id, or None when it is not one chinwag makes."""
    owner, dot, kind = object_sid.partition(".")
    if not dot or kind not in KINDS:
        return None
    if kind in (DOC, MSGS, ROSTER) and not owner.startswith("CH"):
        return None
    if kind in (INFO, CONVS) and not owner.startswith("US"):
        return None
    return owner, kind


def _medias(m: Message) -> list[dict[str, Any]] | None:
    """The message's media as the client reads them, from its `media` column (JSON text of
    `[{sid, size, content_type, filename, category}]`, the Media helper's migration); None without."""
    stored: str | None = getattr(m, "media", None)  # the column arrives with the media branch
    if not stored:
        return None
    return [
        {
            "sid": one["sid"],
            "category": one.get("category", "media"),
            "filename": one.get("filename"),
            "contentType": one.get("content_type"),
            "size": one.get("size"),
        }
        for one in orjson.loads(stored)
    ]


def message_item(m: Message) -> dict[str, Any]:
    """A messages-list item (`type: media` with `medias` when the message has media)."""
    medias = _medias(m)
    return {
        "sid": m.sid,
        "author": m.author,
        "text": m.body,
        "attributes": m.attributes,
        "timestamp": m.date_created,
        "dateUpdated": m.date_updated,
        "memberSid": m.participant_sid,
        "type": "media" if medias else "text",
        "medias": medias,
        "subject": m.subject,
        "contentSid": m.content_sid,
        "lastUpdatedBy": None,  # not recorded by chinwag
    }


def roster_item(p: Participant) -> dict[str, Any]:
    item: dict[str, Any] = {
        "identity": p.identity,
        "type": "chat" if p.identity is not None else (p.binding_type or "sms"),
        "attributes": p.attributes,
        "roleSid": p.role_sid,
        "lastConsumedMessageIndex": p.last_read_message_index,
        "lastConsumptionTimestamp": p.last_read_timestamp,
        "dateCreated": p.date_created,
        "dateUpdated": p.date_updated,
    }
    if p.user_sid is not None:
        item["userInfo"] = info_id(p.user_sid)
    return item


def convs_item(p: Participant) -> dict[str, Any]:
    """The user's my-conversations item for the conversation `p` belongs to. Per-user fields only:
    the client merges them into the conversation (`status: joined` makes it subscribe at once)."""
    return {
        "status": "joined",
        "channel": doc_id(p.conversation_sid),
        "messages": msgs_id(p.conversation_sid),
        "roster": roster_id(p.conversation_sid),
        "lastConsumedMessageIndex": p.last_read_message_index,
        "notificationLevel": p.notification_level,
    }


def _object(attributes: str) -> Any:
    """A conversation's attributes as the document's object. JSON that orjson cannot hold (an
    integer past 64 bits, which the API accepts: docs/decisions.md #40) stays its text: the client
    reads the document's attributes as an object or as a JSON string alike."""
    try:
        return orjson.loads(attributes)
    except orjson.JSONDecodeError:
        return attributes


def document(c: Conversation, last_message: tuple[int, str] | None) -> dict[str, Any]:
    """The whole conversation document (an update event carries all of it). `last_message`:
    (index, date_created) of the newest message, None without messages."""
    doc: dict[str, Any] = {
        "messages": msgs_id(c.sid),
        "roster": roster_id(c.sid),
        "friendlyName": c.friendly_name,
        "uniqueName": c.unique_name,
        "attributes": _object(c.attributes),
        "createdBy": c.created_by,
        "dateCreated": c.date_created,
        "dateUpdated": c.date_updated,
        "state": {"current": c.state, "dateUpdated": c.date_updated},
    }
    if last_message is not None:
        doc["lastMessage"] = {"index": last_message[0], "timestamp": last_message[1]}
    return doc


def info_items(u: User, reachability: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The user-info map's items by key; `reachability` only where the service enables it."""
    items: dict[str, dict[str, Any]] = {
        "attributes": {"value": u.attributes},
        "friendlyName": {"value": u.friendly_name},
    }
    if reachability is not None:
        items["reachability"] = reachability
    return items


OFFLINE: dict[str, Any] = {"online": False, "notifiable": False}
