"""An inbound SMS/WhatsApp message, handled as Twilio handles one (docs/decisions.md #115):

1. the open conversation where a participant holds the pair (From, To) gets it, authored by From;
2. else the address configuration of To, when it auto-creates, makes a new conversation (in its
   service, or the default one) with the configured webhook or studio target attached as a
   conversation webhook (docs/decisions.md #117) and From as a participant (proxy To), and it gets
   the message;
3. else nothing is created, and the answer says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.domain import (
    address_configurations,
    chat_services,
    conversations,
    messages,
    participants,
    validation,
    webhooks,
)
from chinwag.domain.conversations import ConversationInput
from chinwag.domain.deps import Deps
from chinwag.domain.messages import MessageInput
from chinwag.domain.models import Conversation, Message, Participant, Scope
from chinwag.domain.participants import ParticipantInput
from chinwag.storage.db import Tx
from chinwag.storage.repos import participants as participant_repo

CHANNELS = ("sms", "whatsapp")


@dataclass(frozen=True)
class Inbound:
    """What an inbound message did: the message, its conversation, the channel, and the participant
    and conversation it created when an address configuration auto-created one."""

    message: Message
    conversation: Conversation
    channel: str
    joined: Participant | None = None


MEDIA_MAX = 10  # Twilio's limit of media per MMS
URL_MAX = 2048


def channel_of(value: str | None, from_: str) -> str:
    if value:
        if value not in CHANNELS:
            raise invalid(f"Invalid value for Channel: {value!r} (sms or whatsapp)")
        return value
    return "whatsapp" if from_.startswith("whatsapp:") else "sms"


def _on_channel(address: str, channel: str) -> str:
    """WhatsApp addresses carry the `whatsapp:` prefix, as participants' bindings store them."""
    if channel == "whatsapp" and not address.startswith("whatsapp:"):
        return "whatsapp:" + address
    return address


def _media(urls: list[str]) -> list[str]:
    urls = [u for u in urls if u]
    if len(urls) > MEDIA_MAX:
        raise invalid(f"Too many MediaUrl values (at most {MEDIA_MAX})")
    for url in urls:
        if len(url) > URL_MAX or not url.lower().startswith(("http://", "https://")):
            raise invalid(f"Invalid value for MediaUrl: {url!r} (an http or https URL)")
    return urls


def _target_of(auto: dict[str, Any]) -> webhooks.WebhookInput | None:
    """The conversation webhook an auto-creating configuration attaches (docs/decisions.md #117):
    type `webhook` its URL, method and filters, `studio` its flow; `default` none."""
    kind = auto.get("type")
    if kind == "webhook":
        return webhooks.WebhookInput(
            target="webhook",
            url=auto.get("webhook_url"),
            method=auto.get("webhook_method") or "POST",
            filters=tuple(auto.get("webhook_filters") or ()),
        )
    if kind == "studio":
        return webhooks.WebhookInput(target="studio", flow_sid=auto.get("studio_flow_sid"))
    return None


async def _attach(tx: Tx, deps: Deps, scope: Scope, conv: Conversation, auto: dict[str, Any]) -> None:
    """The one way the API makes a conversation webhook, with the same checks and limits."""
    target = _target_of(auto)
    if target is not None:
        await webhooks.create(tx, deps, scope, conv.sid, "", target)


async def receive(
    tx: Tx,
    deps: Deps,
    account_sid: str,
    from_: str | None,
    to: str | None,
    body: str | None,
    media_urls: list[str],
    channel: str | None,
) -> Inbound:
    sender = validation.required(from_, "From")
    recipient = validation.required(to, "To")
    kind = channel_of(channel, sender)
    sender, recipient = _on_channel(sender, kind), _on_channel(recipient, kind)
    media = _media(media_urls)
    if not body:  # media alone needs the Media resource, which chinwag does not have yet
        raise TwilioError(ErrorCode.MISSING_PARAMETER, name="Body")
    # The URLs travel in the attributes until then (docs/decisions.md #115).
    data = MessageInput(
        author=sender, body=body, attributes=orjson.dumps({"media_urls": media}).decode() if media else None
    )

    held = await participant_repo.by_open_pair(tx, account_sid, f"{sender}|{recipient}")
    if held is not None:
        participant_sid, conversation_sid, service_sid = held
        scope = await chat_services.resolve_scope(tx, account_sid, service_sid, "")
        conv = await conversations.fetch(tx, scope, conversation_sid, "", lock=True)
        return Inbound(await messages.post(tx, deps, conv, data, from_participant=participant_sid), conv, kind)

    config = await address_configurations.for_inbound(tx, account_sid, kind, recipient)
    if config is None:
        raise TwilioError(
            ErrorCode.INBOUND_UNROUTED,
            reason=f"No open conversation holds the pair {sender} / {recipient}, and {recipient}"
            f" has no {kind} address configuration",
        )
    auto = address_configurations.auto_creation_of(config)
    if not auto.get("enabled"):
        raise TwilioError(
            ErrorCode.INBOUND_UNROUTED,
            reason=f"No open conversation holds the pair {sender} / {recipient}, and the address"
            f" configuration {config.sid} of {recipient} does not auto-create conversations",
        )
    target_service: str | None = auto.get("conversation_service_sid")
    try:
        scope = await chat_services.resolve_scope(tx, account_sid, target_service, "")
    except TwilioError:
        raise TwilioError(
            ErrorCode.INBOUND_UNROUTED,
            reason=f"The service {target_service} that address configuration {config.sid} creates"
            " conversations in no longer exists",
        ) from None
    conv = await conversations.create(tx, deps, scope, ConversationInput())
    conv = await conversations.fetch(tx, scope, conv.sid, "", lock=True)
    # Before the participant and the message, so their post-events (written by the caller in this
    # transaction) already find the new webhook.
    await _attach(tx, deps, scope, conv, auto)
    joined = await participants.add(tx, deps, scope, conv, ParticipantInput(address=sender, proxy_address=recipient))
    return Inbound(await messages.post(tx, deps, conv, data, from_participant=joined.sid), conv, kind, joined)
