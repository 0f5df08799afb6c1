"""A participant's read state: read horizon, unread count, notification level (decisions.md #8, #11).

Unread is the number of messages that exist now with an index above the participant's
`last_read_message_index`, the reader's own messages included; `null` while no horizon is set;
shown capped at 1000. It is kept, not counted per request: `participants.unread_count` is set
exactly when the horizon moves (one index-range count, bounded by what is unread), then moved by
one for every message added or deleted above the horizon, in the same transaction as that
message. Reading a page of a user's conversations therefore costs the same whether they have 0
or 1,000+ unread messages in each. A horizon beyond the newest message gives 0.
"""

from __future__ import annotations

from dataclasses import replace

from chinwag.core.clock import iso, parse_iso
from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.integers import parse_int
from chinwag.domain.deps import Deps
from chinwag.domain.models import Participant
from chinwag.storage.db import Tx
from chinwag.storage.repos import participants as repo

UNREAD_CAP = 1000
NOTIFICATION_LEVELS = ("default", "muted")


def shown_unread(p: Participant) -> int | None:
    return shown(p.last_read_message_index, p.unread_count)


def shown(horizon: int | None, unread_count: int) -> int | None:
    """`unread_messages_count` as shown: null without a horizon, else the stored count capped."""
    if horizon is None:
        return None
    return max(0, min(unread_count, UNREAD_CAP))


def parse_horizon(value: str) -> int | None:
    """`LastReadMessageIndex`: an integer; empty or `null` clears it (decisions.md #11)."""
    if value == "" or value.lower() == "null":
        return None
    try:
        return parse_int(value)  # ASCII digits, 64-bit (a BIGINT column): docs/decisions.md #39
    except ValueError:
        raise TwilioError(ErrorCode.READ_INDEX_INVALID, value=value) from None


def parse_timestamp(value: str) -> str | None:
    if value == "" or value.lower() == "null":
        return None
    epoch = parse_iso(value)
    if epoch is None:
        raise invalid(f"Invalid value for LastReadTimestamp: {value} (expected an ISO-8601 date-time)")
    return iso(epoch)


def parse_level(value: str) -> str:
    if value not in NOTIFICATION_LEVELS:
        raise TwilioError(ErrorCode.NOTIFICATION_LEVEL_INVALID, value=value)
    return value


async def apply(
    tx: Tx,
    deps: Deps,
    participant: Participant,
    *,
    horizon: str | None = None,
    timestamp: str | None = None,
    level: str | None = None,
) -> Participant:
    """Apply the sent read-state parameters (None: not sent). The participant must have been
    fetched with its row locked (see repos.participants.set_horizon). Everything is validated
    before anything is written."""
    index = parse_horizon(horizon) if horizon is not None else None
    stamp = parse_timestamp(timestamp) if timestamp is not None else participant.last_read_timestamp
    notification = parse_level(level) if level is not None else participant.notification_level
    now = deps.now()
    changed = participant
    if timestamp is not None or level is not None:
        changed = await repo.update(
            tx, replace(changed, last_read_timestamp=stamp, notification_level=notification, date_updated=now)
        )
    if horizon is not None:
        changed = await repo.set_horizon(tx, changed, index, now)
    return changed
