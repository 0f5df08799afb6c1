"""Where an event goes: the configured webhooks (chinwag.domain.webhook_config) for a scope."""

from __future__ import annotations

from typing import Any

try:
    from chinwag.domain.webhook_config import (  # type: ignore[import-not-found,import-untyped,unused-ignore]
        HookTarget,
        WebhookTargets,
        fires,
        targets_for,
    )
except ModuleNotFoundError:  # until the webhook configuration resources are merged: none configured
    from dataclasses import dataclass

    @dataclass(frozen=True, slots=True)
    class HookTarget:  # type: ignore[no-redef,unused-ignore]
        url: str
        method: str
        filters: frozenset[str]
        kind: str
        triggers: tuple[str, ...] = ()
        webhook_sid: str | None = None
        flow_sid: str | None = None

    @dataclass(frozen=True, slots=True)
    class WebhookTargets:  # type: ignore[no-redef,unused-ignore]
        pre: tuple[HookTarget, ...]
        post: tuple[HookTarget, ...]

    async def targets_for(tx: Any, account_sid: str, chat_service_sid: str, conversation_sid: str | None) -> Any:  # type: ignore[misc,unused-ignore]
        return WebhookTargets((), ())

    def fires(target: Any, event_type: str, body: str | None) -> bool:  # type: ignore[misc,unused-ignore]
        return False


__all__ = ["HookTarget", "WebhookTargets", "fires", "targets_for"]
