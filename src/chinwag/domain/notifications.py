"""A service's push-notification configuration: whether and how users are notified of a new
message, of being added to and removed from a conversation, with templates that the push sender
will fill in. Stored and returned; defaults until first updated (docs/decisions.md #113)."""

from __future__ import annotations

import copy
from typing import Any

import orjson

from chinwag.core.errors import invalid
from chinwag.domain import validation
from chinwag.domain.models import Scope
from chinwag.storage.db import Tx
from chinwag.storage.repos import notifications as repo

TEXT_MAX = 1024

DEFAULTS: dict[str, Any] = {
    "log_enabled": False,
    "new_message": {
        "enabled": False,
        "template": None,
        "sound": None,
        "badge_count_enabled": False,
        "with_media": {"enabled": False, "template": None},
    },
    "added_to_conversation": {"enabled": False, "template": None, "sound": None},
    "removed_from_conversation": {"enabled": False, "template": None, "sound": None},
}

# Form parameter → (path in the document, kind).
PARAMETERS: dict[str, tuple[tuple[str, ...], str]] = {
    "LogEnabled": (("log_enabled",), "bool"),
    "NewMessage.Enabled": (("new_message", "enabled"), "bool"),
    "NewMessage.Template": (("new_message", "template"), "text"),
    "NewMessage.Sound": (("new_message", "sound"), "text"),
    "NewMessage.BadgeCountEnabled": (("new_message", "badge_count_enabled"), "bool"),
    "NewMessage.WithMedia.Enabled": (("new_message", "with_media", "enabled"), "bool"),
    "NewMessage.WithMedia.Template": (("new_message", "with_media", "template"), "text"),
    "AddedToConversation.Enabled": (("added_to_conversation", "enabled"), "bool"),
    "AddedToConversation.Template": (("added_to_conversation", "template"), "text"),
    "AddedToConversation.Sound": (("added_to_conversation", "sound"), "text"),
    "RemovedFromConversation.Enabled": (("removed_from_conversation", "enabled"), "bool"),
    "RemovedFromConversation.Template": (("removed_from_conversation", "template"), "text"),
    "RemovedFromConversation.Sound": (("removed_from_conversation", "sound"), "text"),
}


def _value(name: str, kind: str, raw: str) -> object:
    if kind == "bool":
        return validation.boolean(raw, name) if raw else False
    if len(raw) > TEXT_MAX:
        raise invalid(f"{name} is too long (maximum {TEXT_MAX} characters)")
    return raw or None


async def fetch(tx: Tx, scope: Scope) -> dict[str, Any]:
    stored = await repo.get(tx, scope.service_sid)
    if stored is None:
        return copy.deepcopy(DEFAULTS)
    settings: dict[str, Any] = orjson.loads(stored)
    return settings


async def update(tx: Tx, scope: Scope, sent: dict[str, str]) -> dict[str, Any]:
    """`sent`: the form's values by parameter name; only those change. Checked whole first."""
    settings = await fetch(tx, scope)
    for name, raw in sent.items():
        spec = PARAMETERS.get(name)
        if spec is None:
            continue  # unknown parameters are ignored, as Twilio does
        path, kind = spec
        node = settings
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = _value(name, kind, raw)
    await repo.save(tx, scope.account_sid, scope.service_sid, orjson.dumps(settings).decode())
    return settings
