"""Conversation states and timers (Twilio's docs, decisions.md #17, #18).

States: `active` ⇄ `inactive` freely; anything → `closed`, which is final. Timers are ISO-8601
durations measuring inactivity: `Timers.Inactive` (≥ PT1M) takes an active conversation to
inactive, `Timers.Closed` (≥ PT10M) closes it; `PT0S` disables one. Each becomes an absolute
deadline (`timers.date_inactive` / `date_closed`), stored so that a restart loses none, and
pushed forward by activity: a new message, a state change or new timers. A sweeper in every
server process carries out deadlines that have passed (see `due` and http/timer_task.py).
"""

from __future__ import annotations

from dataclasses import replace

from chinwag.core.clock import iso
from chinwag.core.durations import parse_duration
from chinwag.domain import sync_events
from chinwag.domain.deps import Deps
from chinwag.domain.models import Conversation
from chinwag.storage.db import Tx
from chinwag.storage.repos import conversations as repo
from chinwag.storage.repos import participants as participant_repo

ACTIVE, INACTIVE, CLOSED = "active", "inactive", "closed"
STATES = (ACTIVE, INACTIVE, CLOSED)


def _after(now: float, timer: str | None) -> str | None:
    seconds = parse_duration(timer) if timer else None
    return iso(now + seconds) if seconds else None


def with_deadlines(conv: Conversation, now: float) -> Conversation:
    """Recompute the deadlines from `now`, for the conversation's state and timers."""
    if conv.state == CLOSED:
        return replace(conv, date_inactive=None, date_closed=None)
    inactive = _after(now, conv.inactive_timer) if conv.state == ACTIVE else None
    return replace(conv, date_inactive=inactive, date_closed=_after(now, conv.closed_timer))


def has_timers(conv: Conversation) -> bool:
    return bool(conv.inactive_timer or conv.closed_timer)


async def close(tx: Tx, conv: Conversation, now: str) -> Conversation:
    closed = replace(conv, state=CLOSED, date_inactive=None, date_closed=None, date_updated=now)
    await participant_repo.release_bindings(tx, conv.sid)
    return await repo.update(tx, closed)


async def due(
    tx: Tx,
    deps: Deps,
    limit: int = 500,
    *,
    account_sid: str | None = None,
    skip_clocked: bool = False,
    wait: bool = False,
) -> list[tuple[Conversation, str]]:
    """Apply every transition whose deadline has passed by `deps`' clock; returns each moved
    conversation (as it is now) with the state it left, for its onConversationStateUpdated event.
    Emulator mode sweeps an account with its own clock (`account_sid`) and leaves such accounts out
    of the server-wide sweep (`skip_clocked`; docs/decisions.md #80). `wait`: rows another sweeper
    holds are waited for, not skipped (the emulator's clock move answers once all is moved)."""
    now = deps.now()
    moved: list[tuple[Conversation, str]] = []
    for conv in await repo.due_closed(tx, now, limit, account_sid, skip_clocked, wait):
        moved.append((await close(tx, conv, now), conv.state))
    for conv in await repo.due_inactive(tx, now, limit, account_sid, skip_clocked, wait):
        if conv.state != ACTIVE:
            continue
        after = await repo.update(tx, replace(conv, state=INACTIVE, date_inactive=None, date_updated=now))
        moved.append((after, conv.state))
    for after, _ in moved:  # the rows are locked (due_*): the document's events keep commit order
        await sync_events.conversation_updated(tx, after, now)
    return moved
