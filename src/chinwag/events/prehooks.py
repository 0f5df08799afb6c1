"""Pre-event hooks: called before anything is written, and able to veto or modify the action.

The caller resolves the targets in a read transaction (`plan`), calls the hooks with no
transaction open and no pooled connection held (`run`), then opens its write transaction: a hook
that takes seconds to answer never holds the database's write lock (Twilio's webhook docs).

Answers: 200 (any 2xx) with an empty body or `{}`: go on. 2xx with a JSON object: its modifiable
fields replace the request's. 4xx/5xx: the action is refused, 403/50056 (docs/decisions.md #78).
No answer within the timeout, an unreachable or refused receiver: go on unchanged (logged).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import orjson

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.events.origin import Origin
from chinwag.events.sender import Request, Sender
from chinwag.events.targets import HookTarget, fires, targets_for
from chinwag.storage.db import Tx
from chinwag.storage.repos import accounts as account_repo

log = logging.getLogger("chinwag.webhooks")

# The fields a pre-event hook may replace (Twilio's webhook docs), by the names it answers with.
MODIFIABLE = {
    "onMessageAdd": ("body", "author", "attributes"),
    "onMessageUpdate": ("body", "author", "attributes"),
    "onConversationAdd": ("friendly_name",),
    "onConversationUpdate": ("friendly_name",),
}


@dataclass(frozen=True, slots=True)
class Plan:
    targets: tuple[HookTarget, ...]
    auth_token: str
    origin: Origin
    account_sid: str
    event_type: str


async def plan(
    tx: Tx,
    origin: Origin | None,
    account_sid: str,
    service_sid: str,
    conversation_sid: str | None,
    event_type: str,
    body: str | None = None,
) -> Plan | None:
    """The pre-event hooks this action must call, or None (not a client action, or none fires)."""
    if origin is None or not origin.fires_pre:
        return None
    found = await targets_for(tx, account_sid, service_sid, conversation_sid)
    chosen = tuple(t for t in found.pre if fires(t, event_type, body))
    if not chosen:
        return None
    token = await account_repo.auth_token(tx, account_sid)
    if token is None:
        return None
    return Plan(chosen, token, origin, account_sid, event_type)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()  # attributes answered as a JSON object


async def run(sender: Sender, p: Plan, params: list[tuple[str, str]], token: str) -> dict[str, str | None]:
    """Call each hook; the modifications they answer with (snake_case names), or TwilioError."""
    changes: dict[str, str | None] = {}
    payload = [*p.origin.common(p.account_sid, p.event_type), *params]
    for target in p.targets:
        result = await sender.send(Request(target.url, target.method.upper(), payload, token), p.auth_token)
        if result.status is None:
            log.warning("pre-event %s to %s: %s; going on unchanged", p.event_type, target.url, result.error)
            continue
        if result.status >= 400:
            log.warning("pre-event %s to %s answered HTTP %d: action refused", p.event_type, target.url, result.status)
            raise TwilioError(ErrorCode.PRE_WEBHOOK_REJECTED, status=result.status)
        text = result.content.strip()
        if not text:
            continue
        try:
            answer = orjson.loads(text)
        except orjson.JSONDecodeError:
            log.warning("pre-event %s to %s answered non-JSON; going on unchanged", p.event_type, target.url)
            continue
        if not isinstance(answer, dict):
            continue
        lowered = {str(k).lower(): v for k, v in answer.items()}
        for name in MODIFIABLE.get(p.event_type, ()):
            for spelling in (name, name.replace("_", "")):
                if spelling in lowered:
                    changes[name] = _text(lowered[spelling])
    return changes
