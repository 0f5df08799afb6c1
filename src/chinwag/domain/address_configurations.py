"""Address configurations (IG): what happens to an inbound message to one of the account's
addresses that belongs to no conversation yet (auto-creation of a conversation, optionally with a
webhook or a Studio flow attached). One configuration per account, type and address, by
constraint (409/20409; docs/decisions.md #111).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import orjson

from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.pagination import PageRequest
from chinwag.core.sids import SidPrefix
from chinwag.domain import validation, webhooks
from chinwag.domain.deps import Deps
from chinwag.domain.models import AddressConfiguration, Page
from chinwag.storage.db import Tx
from chinwag.storage.dialect import UniqueViolation
from chinwag.storage.repos import address_configurations as repo
from chinwag.storage.repos import services as service_repo

TYPES = ("sms", "whatsapp", "messenger", "gbm", "email", "rcs")
AUTO_CREATION_TYPES = ("webhook", "studio", "default")
WEBHOOK_METHODS = ("GET", "POST")
WEBHOOK_FILTERS = (
    "onMessageAdded",
    "onMessageUpdated",
    "onMessageRemoved",
    "onConversationUpdated",
    "onConversationStateUpdated",
    "onConversationRemoved",
    "onParticipantAdded",
    "onParticipantUpdated",
    "onParticipantRemoved",
    "onDeliveryUpdated",
)
ADDRESS_MAX = 256
URL_MAX = 2048
STUDIO_RETRY_MAX = 3
COUNTRY_LENGTH = 2


@dataclass(frozen=True)
class AutoCreationInput:
    """`AutoCreation.*` as sent; None means not sent."""

    enabled: str | None = None
    type: str | None = None
    conversation_service_sid: str | None = None
    webhook_url: str | None = None
    webhook_method: str | None = None
    webhook_filters: tuple[str, ...] | None = None
    studio_flow_sid: str | None = None
    studio_retry_count: str | None = None


def _one_of(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise invalid(f"Invalid value for {name}: {value!r} (one of {', '.join(allowed)})")
    return value


def _retry_count(value: str) -> int:
    if len(value) > 1 or not (value.isascii() and value.isdigit()) or int(value) > STUDIO_RETRY_MAX:
        raise invalid(f"Invalid value for AutoCreation.StudioRetryCount: {value!r} (0 to {STUDIO_RETRY_MAX})")
    return int(value)


def _url(value: str) -> str:
    if len(value) > URL_MAX or not value.lower().startswith(("http://", "https://")):
        raise invalid(f"Invalid value for AutoCreation.WebhookUrl: {value!r} (an http or https URL)")
    # It becomes a conversation webhook's URL on auto-creation (docs/decisions.md #117), so it must
    # pass that check here, where it is configured, not fail every inbound message later.
    return webhooks.url(value, "AutoCreation.WebhookUrl")


async def _auto_creation(tx: Tx, account_sid: str, current: dict[str, Any], data: AutoCreationInput) -> str:
    """The stored (rendered) AutoCreation object: `current` with what `data` sets, checked whole."""
    settings = dict(current)
    if data.enabled is not None:
        settings["enabled"] = validation.boolean(data.enabled, "AutoCreation.Enabled") if data.enabled else False
    if data.type is not None:
        settings["type"] = _one_of(data.type, AUTO_CREATION_TYPES, "AutoCreation.Type") if data.type else "default"
    if data.conversation_service_sid is not None:
        sid = data.conversation_service_sid
        if sid:
            validation.sid_of(sid, SidPrefix.SERVICE, "AutoCreation.ConversationServiceSid")
            if await service_repo.get(tx, account_sid, sid) is None:
                raise TwilioError(ErrorCode.SERVICE_NOT_FOUND, sid=sid)
        settings["conversation_service_sid"] = sid or None
    if data.webhook_url is not None:
        settings["webhook_url"] = _url(data.webhook_url) if data.webhook_url else None
    if data.webhook_method is not None:
        method = data.webhook_method.upper()
        settings["webhook_method"] = _one_of(method, WEBHOOK_METHODS, "AutoCreation.WebhookMethod") if method else None
    if data.webhook_filters is not None:
        filters = [f for f in data.webhook_filters if f]
        for name in filters:
            _one_of(name, WEBHOOK_FILTERS, "AutoCreation.WebhookFilters")
        settings["webhook_filters"] = list(dict.fromkeys(filters))
    if data.studio_flow_sid is not None:
        flow = data.studio_flow_sid
        settings["studio_flow_sid"] = (
            validation.sid_of(flow, SidPrefix.STUDIO_FLOW, "AutoCreation.StudioFlowSid") if flow else None
        )
    if data.studio_retry_count is not None:
        count = data.studio_retry_count
        settings["studio_retry_count"] = _retry_count(count) if count else None
    kind = settings.get("type", "default")
    if settings.get("enabled") and kind == "webhook" and not settings.get("webhook_url"):
        raise TwilioError(ErrorCode.MISSING_PARAMETER, name="AutoCreation.WebhookUrl")
    if settings.get("enabled") and kind == "studio" and not settings.get("studio_flow_sid"):
        raise TwilioError(ErrorCode.MISSING_PARAMETER, name="AutoCreation.StudioFlowSid")
    return orjson.dumps(_rendered(settings)).decode()


def _rendered(settings: dict[str, Any]) -> dict[str, Any]:
    """What Twilio shows: enabled, type and service always; the webhook or studio keys by type."""
    kind = settings.get("type", "default")
    shown: dict[str, Any] = {
        "enabled": bool(settings.get("enabled", False)),
        "type": kind,
        "conversation_service_sid": settings.get("conversation_service_sid"),
    }
    if kind == "webhook":
        shown["webhook_url"] = settings.get("webhook_url")
        shown["webhook_method"] = settings.get("webhook_method") or "POST"
        shown["webhook_filters"] = settings.get("webhook_filters") or []
    if kind == "studio":
        shown["studio_flow_sid"] = settings.get("studio_flow_sid")
        shown["studio_retry_count"] = settings.get("studio_retry_count") or 0
    # Kept (not shown) so switching the type back and forth loses nothing the client set.
    for key in ("webhook_url", "webhook_method", "webhook_filters", "studio_flow_sid", "studio_retry_count"):
        if key not in shown and settings.get(key) is not None:
            shown["_" + key] = settings[key]
    return shown


def auto_creation_of(config: AddressConfiguration) -> dict[str, Any]:
    """The AutoCreation object as the API shows it."""
    stored: dict[str, Any] = orjson.loads(config.auto_creation)
    return {k: v for k, v in stored.items() if not k.startswith("_")}


def _settings(config: AddressConfiguration) -> dict[str, Any]:
    stored: dict[str, Any] = orjson.loads(config.auto_creation)
    return {k.lstrip("_"): v for k, v in stored.items()}


def _address(value: str | None) -> str:
    address = validation.required(value, "Address").strip()
    if not address:
        raise TwilioError(ErrorCode.MISSING_PARAMETER, name="Address")
    if len(address) > ADDRESS_MAX:
        raise invalid(f"Address is too long (maximum {ADDRESS_MAX} characters)")
    return address


def _country(value: str) -> str:
    if len(value) != COUNTRY_LENGTH or not (value.isascii() and value.isalpha()):
        raise invalid(f"Invalid value for AddressCountry: {value!r} (an ISO 3166-1 alpha-2 country code)")
    return value.upper()


async def create(
    tx: Tx,
    deps: Deps,
    account_sid: str,
    type_: str | None,
    address: str | None,
    friendly_name: str | None,
    address_country: str | None,
    auto: AutoCreationInput,
) -> AddressConfiguration:
    kind = _one_of(validation.required(type_, "Type"), TYPES, "Type")
    where = _address(address)
    name = validation.friendly_name(friendly_name) if friendly_name else None
    country = _country(address_country) if address_country else None
    settings = await _auto_creation(tx, account_sid, {}, auto)
    now = deps.now()
    config = AddressConfiguration(
        0, deps.sid(SidPrefix.ADDRESS_CONFIGURATION), account_sid, kind, where, name, country, settings, now, now
    )
    try:
        return await repo.insert(tx, config)
    except UniqueViolation:
        raise TwilioError(ErrorCode.ADDRESS_CONFIGURATION_EXISTS, type=kind, address=where) from None


async def fetch(tx: Tx, account_sid: str, sid: str, path: str) -> AddressConfiguration:
    found = await repo.get(tx, account_sid, sid)
    if found is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return found


async def update(
    tx: Tx, deps: Deps, account_sid: str, sid: str, path: str, friendly_name: str | None, auto: AutoCreationInput
) -> AddressConfiguration:
    current = await fetch(tx, account_sid, sid, path)
    changes: dict[str, Any] = {"date_updated": deps.now()}
    if friendly_name is not None:
        changes["friendly_name"] = validation.friendly_name(friendly_name) if friendly_name else None
    changes["auto_creation"] = await _auto_creation(tx, account_sid, _settings(current), auto)
    return await repo.update(tx, replace(current, **changes))


async def delete(tx: Tx, account_sid: str, sid: str, path: str) -> None:
    if not await repo.delete(tx, account_sid, sid):
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)


async def page(tx: Tx, account_sid: str, type_: str | None, req: PageRequest) -> Page[AddressConfiguration]:
    if type_:
        _one_of(type_, TYPES, "Type")
    return await repo.page(tx, account_sid, type_ or None, req)


async def for_inbound(tx: Tx, account_sid: str, channel: str, to: str) -> AddressConfiguration | None:
    """The configuration of the address an inbound message was sent to (`whatsapp:+1…` or `+1…`)."""
    bare = to.removeprefix("whatsapp:")
    found = await repo.by_address(tx, account_sid, channel, to)
    if found is None and bare != to:
        found = await repo.by_address(tx, account_sid, channel, bare)
    if found is None and channel == "whatsapp" and bare == to:
        found = await repo.by_address(tx, account_sid, channel, "whatsapp:" + to)
    return found
