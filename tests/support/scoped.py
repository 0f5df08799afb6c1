"""Both URL forms of the conversation resources: `/v1/Conversations…` (the account's default service)
and `/v1/Services/{IS}/Conversations…` (here a new service, so the two cannot be confused)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from twilio.rest.conversations.v1 import V1

FORMS = ["short", "service"]


@dataclass
class Scoped:
    form: str
    service_sid: str
    conversations: Any  # ConversationList or ServiceConversationList: same methods
    base: str  # raw-HTTP path prefix: "/v1" or "/v1/Services/IS…"
    prefix: str  # absolute URL prefix the responses must mirror


def scoped(twilio: V1, server_url: str, form: str) -> Scoped:
    if form == "short":
        service_sid = twilio.configuration().fetch().default_chat_service_sid
        return Scoped(form, service_sid, twilio.conversations, "/v1", f"{server_url}/v1")
    service_sid = twilio.services.create(friendly_name="scoped").sid
    base = f"/v1/Services/{service_sid}"
    return Scoped(form, service_sid, twilio.services(service_sid).conversations, base, server_url + base)


def parse_date(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
