"""Writing post-events into the outbox, inside the transaction of the change that caused them."""

from __future__ import annotations

import os
import time

import orjson

from chinwag.events.origin import Origin
from chinwag.events.targets import fires, targets_for
from chinwag.storage.db import Tx
from chinwag.storage.repos import outbox

STUDIO_NOTE = "studio flows are not run by chinwag: nothing was sent"


def new_sid() -> str:
    """A delivery's SID: the time in microseconds, then random. Time first, so each new row's
    entry in the SID's unique index lands at the index's end, next to the previous one: one page
    of the index written per group commit, not one random page per post (with random SIDs that
    page alone was most of what a hooked post added to the WAL; bench/webhooks.py)."""
    return f"WD{time.time_ns() // 1000:016x}{os.urandom(8).hex()}"


def new_token() -> str:
    """An I-Twilio-Idempotency-Token: random (it is not indexed)."""
    return os.urandom(16).hex()


async def emit(
    tx: Tx,
    origin: Origin,
    *,
    account_sid: str,
    service_sid: str,
    conversation_sid: str | None,
    event_type: str,
    params: list[tuple[str, str]],
    now: float,
    date: str,
    lane_key: str | None = None,
    body: str | None = None,
) -> int:
    """One delivery row per configured post-event target that fires for this event; how many.
    `lane_key` orders the deliveries (default: the conversation)."""
    targets = await targets_for(tx, account_sid, service_sid, conversation_sid)
    if not targets.post:
        return 0
    payload = orjson.dumps([*origin.common(account_sid, event_type), *params]).decode()
    key = lane_key or conversation_sid or account_sid
    written = 0
    for target in targets.post:
        if not fires(target, event_type, body):
            continue
        row = outbox.NewDelivery(
            sid=new_sid(),
            account_sid=account_sid,
            conversation_sid=conversation_sid,
            lane=f"{key} {target.url}",
            event_type=event_type,
            url=target.url,
            method=target.method.upper(),
            params=payload,
            token=new_token(),
            now=now,
            date=date,
        )
        if target.kind == "studio":
            await outbox.enqueue_done(tx, row, outbox.FAILED, STUDIO_NOTE)
            continue
        await outbox.enqueue(tx, row)
        written += 1
    if written:
        await outbox.notify(tx)
    return written
