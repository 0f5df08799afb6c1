"""The three webhook configuration resources (Twilio's docs): validation and the rules.

- Account `Configuration/Webhooks` and service `Configuration/Webhooks`: one settings row each,
  created on first update (docs/decisions.md #60-#62, #65).
- Conversation-scoped webhooks (WH…): at most 5 per conversation, post-events only
  (docs/decisions.md #63-#66). The limit is checked under the conversation's row lock, so two
  concurrent creates cannot both take the fifth place (SQLite runs writers one at a time anyway).

Where the events go is resolved from these rows by domain/webhook_config.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.integers import parse_int
from chinwag.core.pagination import PageRequest
from chinwag.core.sids import SidPrefix
from chinwag.domain import conversations, validation
from chinwag.domain.deps import Deps
from chinwag.domain.models import Conversation, Page, Scope
from chinwag.domain.webhook_events import ALL_EVENTS, CONVERSATION_EVENTS
from chinwag.domain.webhook_models import ConversationWebhook, WebhookConfig
from chinwag.storage.db import Tx
from chinwag.storage.repos import webhooks as repo

MAX_PER_CONVERSATION = 5
URL_MAX = 2048
CONFIG_TARGETS = ("webhook", "flex")
CONVERSATION_TARGETS = ("webhook", "trigger", "studio")
KEYWORD_MAX = 256


# --- values -------------------------------------------------------------------------------------


def method(value: str, name: str) -> str:
    """`GET`/`POST` in any case (Twilio's spec spells them `get`/`post` for conversation hooks)."""
    upper = value.strip().upper()
    if upper not in ("GET", "POST"):
        raise invalid(f"Invalid value for {name}: {value!r} (use GET or POST)")
    return upper


def url(value: str, name: str) -> str:
    """An absolute http(s) URL with a host (docs/decisions.md #65); a fragment is kept as sent."""
    if len(value) > URL_MAX:
        raise invalid(f"Invalid value for {name}: longer than {URL_MAX} characters")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        raise invalid(f"Invalid value for {name}: a URL cannot contain spaces or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        raise invalid(f"Invalid value for {name}: {value!r} is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise invalid(f"Invalid value for {name}: {value!r} is not an absolute http or https URL")
    return value


def _listed(values: list[str]) -> list[str] | None:
    """A list parameter as sent: None when absent; a single empty value clears (docs/decisions.md #60)."""
    if not values:
        return None
    if values == [""]:
        return []
    return list(dict.fromkeys(values))  # keep order, drop repeats


def config_filters(values: list[str]) -> list[str] | None:
    names = _listed(values)
    for name in names or ():
        if name not in ALL_EVENTS:
            raise invalid(f"Invalid value for Filters: {name!r} is not a webhook event name")
    return names


def conversation_filters(values: list[str]) -> list[str] | None:
    names = _listed(values)
    for name in names or ():
        if name not in CONVERSATION_EVENTS:
            raise TwilioError(ErrorCode.WEBHOOK_FILTER_INVALID, name=name)
    return names


def triggers(values: list[str]) -> list[str] | None:
    words = _listed(values)
    for word in words or ():
        if not word.strip():
            raise invalid("Invalid value for Configuration.Triggers: a keyword cannot be blank")
        if len(word) > KEYWORD_MAX:
            raise invalid(f"Invalid value for Configuration.Triggers: longer than {KEYWORD_MAX} characters")
    return words


def _optional_url(value: str | None, current: str | None, name: str) -> str | None:
    if value is None:
        return current
    return url(value, name) if value else None


# --- account and service configuration ----------------------------------------------------------


def default_config(account_sid: str, service_sid: str | None) -> WebhookConfig:
    return WebhookConfig(account_sid, service_sid, "POST", (), None, None, "webhook")


async def fetch_config(tx: Tx, account_sid: str, service_sid: str | None, *, lock: bool = False) -> WebhookConfig:
    """`lock` (an update): the row is made if missing and locked, so concurrent partial updates
    apply one after the other and none is lost."""
    if service_sid is None:
        found = await repo.account_config(tx, account_sid, lock=lock)
    else:
        found = await repo.service_config(tx, account_sid, service_sid, lock=lock)
    return found or default_config(account_sid, service_sid)


@dataclass(frozen=True)
class ConfigInput:
    """The parameters of an update; None means "not sent"."""

    method: str | None = None
    filters: tuple[str, ...] = ()
    pre_webhook_url: str | None = None
    post_webhook_url: str | None = None
    target: str | None = None  # account level only


async def update_config(tx: Tx, account_sid: str, service_sid: str | None, data: ConfigInput) -> WebhookConfig:
    cfg = await fetch_config(tx, account_sid, service_sid, lock=True)
    changes: dict[str, object] = {
        "pre_webhook_url": _optional_url(data.pre_webhook_url, cfg.pre_webhook_url, "PreWebhookUrl"),
        "post_webhook_url": _optional_url(data.post_webhook_url, cfg.post_webhook_url, "PostWebhookUrl"),
    }
    if data.method:
        changes["method"] = method(data.method, "Method")
    filters = config_filters(list(data.filters))
    if filters is not None:
        changes["filters"] = tuple(filters)
    if data.target and service_sid is None:
        if data.target not in CONFIG_TARGETS:
            raise invalid(f"Invalid value for Target: {data.target!r} (use webhook or flex)")
        changes["target"] = data.target
    updated = replace(cfg, **changes)  # type: ignore[arg-type]
    await repo.save_config(tx, updated)
    return updated


# --- conversation-scoped webhooks ---------------------------------------------------------------


@dataclass(frozen=True)
class WebhookInput:
    """`Target` and the `Configuration.*` parameters; None / () means "not sent"."""

    target: str | None = None
    url: str | None = None
    method: str | None = None
    filters: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    flow_sid: str | None = None
    replay_after: str | None = None


def _replay_after(value: str) -> int:
    try:
        return parse_int(value, low=0)  # the one integer parser: docs/decisions.md #39
    except ValueError:
        raise invalid(
            "Invalid value for Configuration.ReplayAfter: expected a message index (an integer >= 0)"
        ) from None


def _apply(hook: ConversationWebhook, data: WebhookInput) -> ConversationWebhook:
    """The sent values over the current ones, each checked, then the whole checked for its target."""
    changes: dict[str, object] = {}
    if data.url is not None:
        changes["url"] = url(data.url, "Configuration.Url") if data.url else None
    if data.method:
        changes["method"] = method(data.method, "Configuration.Method")
    filters = conversation_filters(list(data.filters))
    if filters is not None:
        changes["filters"] = tuple(filters)
    words = triggers(list(data.triggers))
    if words is not None:
        changes["triggers"] = tuple(words)
    if data.flow_sid is not None:
        changes["flow_sid"] = (
            validation.sid_of(data.flow_sid, SidPrefix.STUDIO_FLOW, "Configuration.FlowSid") if data.flow_sid else None
        )
    if data.replay_after:
        changes["replay_after"] = _replay_after(data.replay_after)
    result = replace(hook, **changes)  # type: ignore[arg-type]
    if result.target in ("webhook", "trigger") and not result.url:
        raise TwilioError(ErrorCode.MISSING_PARAMETER, name="Configuration.Url")
    if result.target == "trigger" and not result.triggers:
        raise TwilioError(ErrorCode.MISSING_PARAMETER, name="Configuration.Triggers")
    if result.target == "studio" and not result.flow_sid:
        raise TwilioError(ErrorCode.MISSING_PARAMETER, name="Configuration.FlowSid")
    return result


async def create(
    tx: Tx, deps: Deps, scope: Scope, conversation_ref: str, path: str, data: WebhookInput
) -> ConversationWebhook:
    target = validation.required(data.target, "Target")
    if target not in CONVERSATION_TARGETS:
        raise invalid(f"Invalid value for Target: {target!r} (use webhook, trigger or studio)")
    # Locked: concurrent creates on one conversation take turns, so the count below stays true.
    conv = await conversations.fetch(tx, scope, conversation_ref, path, lock=True)
    now = deps.now()
    blank = ConversationWebhook(
        0,
        deps.sid(SidPrefix.WEBHOOK),
        conv.account_sid,
        conv.chat_service_sid,
        conv.sid,
        target,
        None,
        "POST",
        (),
        (),
        None,
        None,
        now,
        now,
    )
    hook = _apply(blank, data)
    if await repo.count(tx, conv.sid) >= MAX_PER_CONVERSATION:
        raise TwilioError(ErrorCode.WEBHOOK_LIMIT, limit=MAX_PER_CONVERSATION)
    return await repo.insert(tx, hook)


async def fetch(tx: Tx, conv: Conversation, sid: str, path: str, *, lock: bool = False) -> ConversationWebhook:
    hook = await repo.get(tx, conv.sid, sid, lock=lock)
    if hook is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return hook


async def update(
    tx: Tx, deps: Deps, conv: Conversation, sid: str, path: str, data: WebhookInput
) -> ConversationWebhook:
    hook = await fetch(tx, conv, sid, path, lock=True)  # concurrent updates take turns
    # `Target` is not an update parameter (docs/decisions.md #63); ReplayAfter neither.
    changed = _apply(hook, replace(data, target=None, replay_after=None))
    return await repo.update(tx, replace(changed, date_updated=deps.now()))


async def delete(tx: Tx, conv: Conversation, sid: str, path: str) -> None:
    if not await repo.delete(tx, conv.sid, sid):
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)


async def page(tx: Tx, conv: Conversation, req: PageRequest) -> Page[ConversationWebhook]:
    return await repo.page(tx, conv.sid, req)
