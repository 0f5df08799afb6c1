"""Where an event goes: the configured webhooks (chinwag.domain.webhook_config) for a scope."""

from __future__ import annotations

from chinwag.domain.webhook_config import HookTarget, WebhookTargets, fires, targets_for

__all__ = ["HookTarget", "WebhookTargets", "fires", "targets_for"]
