"""Account Configuration (`/v1/Configuration`) and per-service Configuration.

Timers are ISO-8601 durations: inactive at least PT1M, closed at least PT10M, PT0S disables
(decisions.md #17). An empty value clears a setting.
"""

from __future__ import annotations

from chinwag.core.durations import parse_duration
from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.core.sids import SidPrefix
from chinwag.domain import roles, validation
from chinwag.domain.models import AccountConfig, Scope, ServiceConfig
from chinwag.storage.db import Tx
from chinwag.storage.repos import accounts as account_repo
from chinwag.storage.repos import services as service_repo

INACTIVE_MIN = 60.0
CLOSED_MIN = 600.0


def check_timer(value: str, *, closed: bool) -> str:
    seconds = parse_duration(value)
    if seconds is None:
        raise TwilioError(ErrorCode.TIMER_CLOSED_FORMAT if closed else ErrorCode.TIMER_INACTIVE_FORMAT)
    minimum = CLOSED_MIN if closed else INACTIVE_MIN
    if 0 < seconds < minimum:
        raise TwilioError(ErrorCode.TIMER_CLOSED_TOO_SHORT if closed else ErrorCode.TIMER_INACTIVE_TOO_SHORT)
    return value.strip().upper()  # the spelling parse_duration accepted (` pt5m` → `PT5M`)


async def fetch_account(tx: Tx, account_sid: str) -> AccountConfig:
    cfg = await account_repo.config(tx, account_sid)
    assert cfg is not None, "every account has a configuration row"
    return cfg


async def update_account(
    tx: Tx,
    account_sid: str,
    *,
    default_chat_service_sid: str | None,
    default_messaging_service_sid: str | None,
    default_inactive_timer: str | None,
    default_closed_timer: str | None,
) -> AccountConfig:
    if default_messaging_service_sid:  # every malformed SID is a 400 before any look-up (decisions.md #42)
        validation.sid_of(default_messaging_service_sid, SidPrefix.MESSAGING_SERVICE, "DefaultMessagingServiceSid")
    if default_chat_service_sid:
        validation.sid_of(default_chat_service_sid, SidPrefix.SERVICE, "DefaultChatServiceSid")
        await account_repo.lock_config(tx, account_sid)  # before the existence check (chat_services.delete)
    cfg = await fetch_account(tx, account_sid)
    chat = cfg.default_chat_service_sid
    if default_chat_service_sid:
        sid = validation.sid_of(default_chat_service_sid, SidPrefix.SERVICE, "DefaultChatServiceSid")
        if not await service_repo.exists(tx, account_sid, sid):
            raise TwilioError(ErrorCode.SERVICE_NOT_FOUND, sid=sid)
        chat = sid
    messaging = cfg.default_messaging_service_sid
    if default_messaging_service_sid is not None:
        messaging = default_messaging_service_sid or None
        if messaging:
            validation.sid_of(messaging, SidPrefix.MESSAGING_SERVICE, "DefaultMessagingServiceSid")
    inactive = cfg.default_inactive_timer
    if default_inactive_timer is not None:
        inactive = check_timer(default_inactive_timer, closed=False) if default_inactive_timer else None
    closed = cfg.default_closed_timer
    if default_closed_timer is not None:
        closed = check_timer(default_closed_timer, closed=True) if default_closed_timer else None
    updated = AccountConfig(account_sid, chat, messaging, inactive, closed)
    await account_repo.save_config(tx, updated)
    return updated


async def fetch_service(tx: Tx, scope: Scope) -> ServiceConfig:
    cfg = await service_repo.config(tx, scope.service_sid)
    assert cfg is not None, "every service has a configuration row"
    return cfg


async def update_service(
    tx: Tx,
    scope: Scope,
    *,
    creator_role_sid: str | None,
    conversation_role_sid: str | None,
    chat_service_role_sid: str | None,
    reachability_enabled: str | None,
) -> ServiceConfig:
    sent = (
        (creator_role_sid, "DefaultConversationCreatorRoleSid"),
        (conversation_role_sid, "DefaultConversationRoleSid"),
        (chat_service_role_sid, "DefaultChatServiceRoleSid"),
    )
    for value, name in sent:  # every malformed SID is a 400 before any look-up 404s (decisions.md #42)
        if value:
            validation.sid_of(value, SidPrefix.ROLE, name)
    cfg = await fetch_service(tx, scope)
    creator = cfg.default_conversation_creator_role_sid
    if creator_role_sid:
        creator = (await roles.require_role(tx, scope, creator_role_sid, "conversation", sent[0][1])).sid
    member = cfg.default_conversation_role_sid
    if conversation_role_sid:
        member = (await roles.require_role(tx, scope, conversation_role_sid, "conversation", sent[1][1])).sid
    user = cfg.default_chat_service_role_sid
    if chat_service_role_sid:
        user = (await roles.require_role(tx, scope, chat_service_role_sid, "service", sent[2][1])).sid
    reachable = cfg.reachability_enabled
    if reachability_enabled is not None and reachability_enabled != "":
        reachable = validation.boolean(reachability_enabled, "ReachabilityEnabled")
    updated = ServiceConfig(scope.service_sid, creator, member, user, reachable)
    await service_repo.save_config(tx, updated)
    return updated
