"""The webhook delivery log (the outbox read back) and its replay: the one place above storage
that reads and re-enqueues deliveries, for `/_chinwag/v1/WebhookDeliveries` (http/) and the web
console (console/) alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chinwag.core.clock import iso
from chinwag.core.pagination import PageRequest
from chinwag.domain.models import Page
from chinwag.events.emit import new_sid
from chinwag.storage.db import Tx
from chinwag.storage.repos import outbox
from chinwag.storage.repos.outbox import DELIVERED, FAILED, PENDING, Delivery, Filters

if TYPE_CHECKING:
    from chinwag.events import Events

__all__ = ["DELIVERED", "FAILED", "PENDING", "Delivery", "Filters", "count", "get", "page", "replay"]


async def page(tx: Tx, account_sid: str, filters: Filters, req: PageRequest) -> Page[Delivery]:
    return await outbox.page(tx, account_sid, filters, req)


async def count(tx: Tx, account_sid: str, filters: Filters) -> int:
    return await outbox.count(tx, account_sid, filters)


async def get(tx: Tx, account_sid: str, sid: str) -> Delivery | None:
    return await outbox.get(tx, account_sid, sid)


async def replay(tx: Tx, events: Events | None, account_sid: str, sid: str, now: float) -> Delivery | None:
    """The same event again, same idempotency token, queued after the lane's pending deliveries;
    None when the account has no delivery `sid`. Call inside the write transaction: the new row
    leaves after commit (the dispatcher is woken then)."""
    found = await outbox.get(tx, account_sid, sid)
    if found is None:
        return None
    again = outbox.NewDelivery(
        sid=new_sid(),
        account_sid=found.account_sid,
        conversation_sid=found.conversation_sid,
        lane=found.lane,
        event_type=found.event_type,
        url=found.url,
        method=found.method,
        params=found.params,
        token=found.token,
        now=now,
        date=iso(now),
    )
    await outbox.enqueue(tx, again, read_back=True)
    await outbox.notify(tx)
    if events is not None:
        events.after_commit_wake()
    return await outbox.get(tx, account_sid, again.sid)
