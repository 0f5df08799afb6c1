"""Where a change's webhook events go: the one question the events outbox asks in every write.

`targets_for` resolves the three configuration levels (Twilio's docs) into the hooks of one
conversation (or of a service, for user events): the service's Configuration/Webhooks, or else the
account's (a service with a pre- or post-event URL of its own replaces the account's entirely,
docs/decisions.md #61), plus the conversation's own webhooks (post-events only). `fires` says
whether one target takes one event.

Cost: it runs inside every write transaction, so it is ONE statement (storage/repos/webhooks.py
`_TARGETS`): a primary-key probe of each configuration table and one index range of the
conversation's webhooks, in a single round trip. Rows exist only once something was configured,
so with nothing configured it reads three empty probes and builds nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from chinwag.storage.db import Row, Tx
from chinwag.storage.repos import webhooks as repo

_SERVICE, _ACCOUNT, _CONVERSATION = 0, 1, 2
# A trigger or studio webhook configured without Filters fires on new messages (docs/decisions.md #64).
DEFAULT_MESSAGE_FILTERS = frozenset({"onMessageAdded"})


@dataclass(frozen=True, slots=True)
class HookTarget:
    url: str  # as configured (may carry a `#rc=…&ct=…` fragment; delivery strips it); "" for studio
    method: str  # "POST" or "GET" (normalised upper case)
    filters: frozenset[str]  # event names this target fires on (e.g. "onMessageAdded")
    kind: str  # "webhook" | "flex" | "trigger" | "studio"
    triggers: tuple[str, ...] = ()  # keywords, for kind "trigger"
    webhook_sid: str | None = None  # WH… of a conversation-scoped webhook, else None
    flow_sid: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookTargets:
    pre: tuple[HookTarget, ...]  # at most one: the service's (or else the account's) PreWebhookUrl
    post: tuple[HookTarget, ...]  # the service's (or account's) PostWebhookUrl, plus the conversation's webhooks

    def __bool__(self) -> bool:
        return bool(self.pre or self.post)


NONE = WebhookTargets((), ())


def _config_targets(row: Row) -> tuple[tuple[HookTarget, ...], tuple[HookTarget, ...]]:
    return _parsed_config(row["filters"], row["target"], row["method"], row["pre_webhook_url"], row["url"])


# Every hooked write reads the same few configuration rows: their targets are built once per
# distinct row (they are immutable), not parsed from JSON on each write (bench/webhooks.py).
@lru_cache(maxsize=4096)
def _parsed_config(
    filters_json: str, kind: str, method: str, pre_url: str | None, url: str | None
) -> tuple[tuple[HookTarget, ...], tuple[HookTarget, ...]]:
    filters = frozenset(json.loads(filters_json))
    pre = (HookTarget(pre_url, method, filters, kind),) if pre_url else ()
    post = (HookTarget(url, method, filters, kind),) if url else ()
    return pre, post


def _conversation_target(row: Row) -> HookTarget:
    kind = row["target"]
    filters = frozenset(json.loads(row["filters"]))
    if not filters and kind in ("trigger", "studio"):
        filters = DEFAULT_MESSAGE_FILTERS
    return HookTarget(
        row["url"] or "",
        row["method"],
        filters,
        kind,
        triggers=tuple(json.loads(row["triggers"])) if kind == "trigger" else (),
        webhook_sid=row["sid"],
        flow_sid=row["flow_sid"],
    )


async def targets_for(tx: Tx, account_sid: str, chat_service_sid: str, conversation_sid: str | None) -> WebhookTargets:
    """The hooks an event of this conversation (None: of the service, e.g. a user event) goes to.

    One indexed statement for all three levels (see the module's docstring)."""
    rows = await repo.target_rows(tx, account_sid, chat_service_sid, conversation_sid)
    if not rows:
        return NONE
    pre: tuple[HookTarget, ...] = ()
    post: tuple[HookTarget, ...] = ()
    service_has_urls = False
    conversation: list[HookTarget] = []
    for row in rows:  # ordered: service, account, conversation hooks in creation order
        level = row["level"]
        if level == _SERVICE:
            pre, post = _config_targets(row)
            service_has_urls = bool(pre or post)
        elif level == _ACCOUNT:
            if not service_has_urls:
                pre, post = _config_targets(row)
        else:
            conversation.append(_conversation_target(row))
    return WebhookTargets(pre, post + tuple(conversation))


@lru_cache(maxsize=1024)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    words = [k for k in keywords if k.strip()]
    if not words:
        return None
    # A whole word: not preceded or followed by a word character, so "help" matches "Help!" and
    # "I need help" but not "helpful" (docs/decisions.md #64).
    alternatives = "|".join(re.escape(k.strip()) for k in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def fires(target: HookTarget, event_type: str, body: str | None) -> bool:
    """Whether `target` takes an event of `event_type`; `body` is the message body for message
    events (a `trigger` target fires only on a body holding one of its keywords as a whole word,
    case-insensitively), else None."""
    if event_type not in target.filters:
        return False
    if target.kind != "trigger":
        return True
    if body is None:
        return False
    pattern = _keyword_pattern(target.triggers)
    return pattern is not None and pattern.search(body) is not None
