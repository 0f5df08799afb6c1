"""Webhook configuration as plain values (account, service and conversation level, as Twilio documents them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """`/v1/Configuration/Webhooks` (service_sid None) or `/v1/Services/{IS}/Configuration/Webhooks`."""

    account_sid: str
    service_sid: str | None
    method: str  # "GET" | "POST"
    filters: tuple[str, ...]
    pre_webhook_url: str | None
    post_webhook_url: str | None
    target: str  # "webhook" | "flex" (account level only; a service's is always "webhook")


@dataclass(frozen=True, slots=True)
class ConversationWebhook:
    """A conversation-scoped webhook (WH…)."""

    seq: int
    sid: str
    account_sid: str
    chat_service_sid: str
    conversation_sid: str
    target: str  # "webhook" | "trigger" | "studio"
    url: str | None
    method: str  # "GET" | "POST"
    filters: tuple[str, ...]
    triggers: tuple[str, ...]
    flow_sid: str | None
    replay_after: int | None
    date_created: str
    date_updated: str
