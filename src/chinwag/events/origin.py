"""Who caused a change, which decides whether and how it fires webhooks (Twilio's webhook docs).

- A REST request fires post-events only with `X-Twilio-Webhook-Enabled: true` (`Source=API`), never
  pre-events.
- `X-Chinwag-Client-Identity: alice` (chinwag's extension, docs/decisions.md #73) makes the request
  act as alice's chat client: it may do what her client could, and fires pre- and post-events
  with `Source=SDK`, `ClientIdentity=alice`.
- Timers fire post-events with `Source=API`, always.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CLIENT_HEADER = "x-chinwag-client-identity"
ENABLED_HEADER = "x-twilio-webhook-enabled"


@dataclass(frozen=True, slots=True)
class Origin:
    source: str  # "API" or "SDK"
    client_identity: str | None = None

    @property
    def fires_pre(self) -> bool:
        return self.source == "SDK"

    def common(self, account_sid: str, event_type: str) -> list[tuple[str, str]]:
        head = [("AccountSid", account_sid), ("EventType", event_type), ("Source", self.source)]
        if self.client_identity is not None:
            head.append(("ClientIdentity", self.client_identity))
        return head


API = Origin("API")


def of_headers(headers: Mapping[str, str]) -> Origin | None:
    """The request's origin, or None when it fires nothing (a plain REST request)."""
    identity = headers.get(CLIENT_HEADER)
    if identity:
        return Origin("SDK", identity)
    if headers.get(ENABLED_HEADER, "").lower() == "true":
        return API
    return None
