"""Each event's parameters, with the names and casing of Twilio's webhook requests (Twilio's
webhook docs), from the resources as stored. Absent values are left out, as Twilio leaves them out.
Dates go out in ISO-8601 with milliseconds (`2026-01-02T03:04:05.000Z`, docs/decisions.md #71)."""

from __future__ import annotations

from chinwag.domain.messages import MessageInput
from chinwag.domain.models import Conversation, Message, Participant, User

Params = list[tuple[str, str]]


def date(value: str | None) -> str | None:
    """`…T03:04:05Z` → `…T03:04:05.000Z`."""
    if value is None or not value.endswith("Z") or "." in value:
        return value
    return value[:-1] + ".000Z"


def _pairs(*items: tuple[str, object]) -> Params:
    out: Params = []
    for name, value in items:
        if value is None:
            continue
        out.append((name, value if isinstance(value, str) else str(value)))
    return out


def conversation(conv: Conversation, *, updated: bool = False, removed: str | None = None) -> Params:
    return _pairs(
        ("ConversationSid", conv.sid),
        ("ChatServiceSid", conv.chat_service_sid),
        ("MessagingServiceSid", conv.messaging_service_sid),
        ("DateCreated", date(conv.date_created)),
        ("DateUpdated", date(conv.date_updated) if updated or removed else None),
        ("DateRemoved", date(removed)),
        ("FriendlyName", conv.friendly_name),
        ("UniqueName", conv.unique_name),
        ("Attributes", conv.attributes),
        ("State", conv.state),
    )


def state_updated(conv: Conversation, state_from: str, reason: str) -> Params:
    return _pairs(
        ("ConversationSid", conv.sid),
        ("ChatServiceSid", conv.chat_service_sid),
        ("MessagingServiceSid", conv.messaging_service_sid),
        ("StateUpdated", date(conv.date_updated)),
        ("StateFrom", state_from),
        ("StateTo", conv.state),
        ("Reason", reason),
    )


def message(
    m: Message, messaging_service_sid: str | None, *, updated: bool = False, removed: str | None = None
) -> Params:
    return _pairs(
        ("ConversationSid", m.conversation_sid),
        ("ChatServiceSid", m.chat_service_sid),
        ("MessagingServiceSid", messaging_service_sid),
        ("MessageSid", m.sid),
        ("Index", m.index),
        ("DateCreated", date(m.date_created)),
        ("DateUpdated", date(m.date_updated) if updated or removed else None),
        ("DateRemoved", date(removed)),
        ("Body", m.body),
        ("Author", m.author),
        ("ParticipantSid", m.participant_sid),
        ("Attributes", m.attributes),
        ("Media", m.media),  # the message's media list as JSON text, as in its REST record
    )


def message_pre(conv: Conversation, data: MessageInput, current: Message | None) -> Params:
    """onMessageAdd / onMessageUpdate (pre-events): what the request would write, over the message
    as it is (`current`, None for a new one). REST client identities and the socket alike."""
    pairs = [
        ("ConversationSid", conv.sid),
        ("ChatServiceSid", conv.chat_service_sid),
        ("MessagingServiceSid", conv.messaging_service_sid),
        ("MessageSid", current.sid if current else None),
        ("Index", str(current.index) if current else None),
        ("Body", data.body if data.body is not None else (current.body if current else None)),
        ("Author", data.author if data.author is not None else (current.author if current else None)),
        ("ParticipantSid", current.participant_sid if current else None),
        ("Attributes", data.attributes if data.attributes is not None else (current.attributes if current else None)),
    ]
    return [(k, v) for k, v in pairs if v is not None]


def participant(
    p: Participant, messaging_service_sid: str | None, *, updated: bool = False, removed: str | None = None
) -> Params:
    return _pairs(
        ("ConversationSid", p.conversation_sid),
        ("ChatServiceSid", p.chat_service_sid),
        ("MessagingServiceSid", messaging_service_sid),
        ("ParticipantSid", p.sid),
        ("DateCreated", date(p.date_created)),
        ("DateUpdated", date(p.date_updated) if updated or removed else None),
        ("DateRemoved", date(removed)),
        ("Identity", p.identity),
        ("RoleSid", p.role_sid),
        ("Attributes", p.attributes),
        ("MessagingBinding.Type", p.binding_type.upper() if p.binding_type else "CHAT"),
        ("MessagingBinding.Address", p.binding_address),
        ("MessagingBinding.ProxyAddress", p.binding_proxy_address),
        ("MessagingBinding.ProjectedAddress", p.binding_projected_address),
        ("LastReadMessageIndex", p.last_read_message_index if updated else None),
    )


def user(u: User, *, updated: bool = False) -> Params:
    return _pairs(
        ("ChatServiceSid", u.chat_service_sid),
        ("UserSid", u.sid),
        ("DateCreated", date(u.date_created)),
        ("DateUpdated", date(u.date_updated) if updated else None),
        ("Identity", u.identity),
        ("RoleSid", u.role_sid),
        ("Attributes", u.attributes),
        ("FriendlyName", u.friendly_name),
        ("isOnline", "false" if updated else None),
        ("isNotifiable", "false" if updated else None),
    )
