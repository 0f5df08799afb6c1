"""ConversationWithParticipants: a conversation and its first participants, made in one
transaction. Every `Participant` value is checked before anything is written, and any participant
that cannot be added (a bad value, a duplicate identity, an address pair in use) fails the whole
request: the caller's transaction rolls back and nothing exists afterwards (docs/decisions.md #105).

Each `Participant` value is a JSON object with the keys of the Participant resource's parameters in
snake case, as in Twilio's example: `identity`, `attributes`, `role_sid`, `date_created`,
`date_updated`, and `messaging_binding` holding `address`, `proxy_address`, `projected_address`
(the dotted spelling `messaging_binding.address` is taken too).
"""

from __future__ import annotations

import json
from typing import Any

from chinwag.core.errors import TwilioError, invalid
from chinwag.core.json_text import is_json
from chinwag.domain import conversations, participants, sync_events
from chinwag.domain.conversations import ConversationInput
from chinwag.domain.deps import Deps
from chinwag.domain.models import Conversation, Scope
from chinwag.domain.participants import ParticipantInput
from chinwag.storage.db import Tx

MAX_PARTICIPANTS = 10  # Twilio's documented maximum per request

_TOP_KEYS = {
    "identity": "identity",
    "attributes": "attributes",
    "role_sid": "role_sid",
    "date_created": "date_created",
    "date_updated": "date_updated",
}
_BINDING_KEYS = {
    "address": "address",
    "proxy_address": "proxy_address",
    "projected_address": "projected_address",
}


def _text(n: int, key: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid value for Participant {n}: {key} must be a string")
    if "\x00" in value:  # a JSON `\u0000`: no text column (PostgreSQL) can hold it, as for form values
        raise invalid(f"Invalid value for Participant {n}: {key}: NUL characters are not allowed")
    return value


def parse_participant(n: int, raw: str) -> ParticipantInput:
    """One `Participant` form value (the n-th, from 1) as the parameters of a participant create."""
    if not is_json(raw):  # RFC 8259, depth-bounded, before json.loads (docs/decisions.md #40)
        raise invalid(f"Invalid value for Participant {n}: not valid JSON")
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):  # a number past int()'s digit limit
        raise invalid(f"Invalid value for Participant {n}: not valid JSON") from None
    if not isinstance(value, dict):
        raise invalid(f"Invalid value for Participant {n}: expected a JSON object")
    fields: dict[str, str | None] = {}
    for key, item in value.items():
        if key in _TOP_KEYS:
            if key == "attributes" and item is not None and not isinstance(item, str):
                item = json.dumps(item, ensure_ascii=False)  # an object given as such, not as a JSON string
            fields[_TOP_KEYS[key]] = _text(n, key, item)
        elif key == "messaging_binding":
            if item is None:
                continue
            if not isinstance(item, dict):
                raise invalid(f"Invalid value for Participant {n}: messaging_binding must be a JSON object")
            for inner, inner_value in item.items():
                if inner not in _BINDING_KEYS:
                    raise invalid(f"Invalid value for Participant {n}: unknown key messaging_binding.{inner}")
                fields[_BINDING_KEYS[inner]] = _text(n, f"messaging_binding.{inner}", inner_value)
        elif key.startswith("messaging_binding.") and key[len("messaging_binding.") :] in _BINDING_KEYS:
            fields[_BINDING_KEYS[key[len("messaging_binding.") :]]] = _text(n, key, item)
        else:
            raise invalid(f"Invalid value for Participant {n}: unknown key {key}")
    return ParticipantInput(**fields)


async def create(
    tx: Tx, deps: Deps, scope: Scope, data: ConversationInput, participant_values: list[str]
) -> Conversation:
    if len(participant_values) > MAX_PARTICIPANTS:
        raise invalid(f"Too many participants: at most {MAX_PARTICIPANTS} can be added in one request")
    inputs = [parse_participant(n, raw) for n, raw in enumerate(participant_values, 1)]
    await sync_events.hold_identities(tx, scope.service_sid, [i.identity for i in inputs if i.identity])
    conv = await conversations.create(tx, deps, scope, data)
    # The conversation is this transaction's own row: no other request can see it, let alone lock it.
    for n, one in enumerate(inputs, 1):
        try:
            await participants.add(tx, deps, scope, conv, one)
        except TwilioError as exc:
            exc.message = f"Participant {n}: {exc.message}"
            raise
    return conv
