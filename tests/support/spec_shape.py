"""A light response-shape check: a body's keys are exactly its schema's properties in Twilio's spec.

Each resource has two schemas, one per URL form (the service-scoped ones add `chat_service_sid` to
participants and messages), so a check names the resource and the form it was reached through.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from chinwag.contract.spec import load_spec

_SERVICE = "conversations.v1.service.service_conversation"
CONVERSATION = ("conversations.v1.conversation", _SERVICE)
PARTICIPANT = (
    "conversations.v1.conversation.conversation_participant",
    f"{_SERVICE}.service_conversation_participant",
)
MESSAGE = ("conversations.v1.conversation.conversation_message", f"{_SERVICE}.service_conversation_message")


@cache
def properties(schema: str) -> frozenset[str]:
    return frozenset(load_spec()["components"]["schemas"][schema]["properties"])


def assert_shape(body: dict[str, Any], resource: tuple[str, str], form: str) -> None:
    """`form`: "short" (`/v1/Conversations…`) or "service" (`/v1/Services/{IS}/Conversations…`)."""
    expected = properties(resource[0] if form == "short" else resource[1])
    assert set(body) == expected, f"missing {expected - set(body)}, extra {set(body) - expected}"
