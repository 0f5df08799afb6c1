"""What the console shows of an account's traffic: the emulator's request journal (emulator/,
`GET /_chinwag/v1/Requests`) and the webhook delivery log (`GET /_chinwag/v1/WebhookDeliveries`),
read from the same repositories those routes read, and a delivery replayed as `…/Replay` does."""

from __future__ import annotations

from typing import Any

from chinwag.core.clock import iso
from chinwag.core.pagination import PageRequest
from chinwag.domain.models import Page
from chinwag.events.emit import new_sid
from chinwag.http.context import AppState
from chinwag.storage.repos import emulator as journal_repo
from chinwag.storage.repos import outbox
from chinwag.storage.repos.outbox import Delivery, Filters

PAGE_SIZE = 50


def journal_kept(state: AppState) -> bool:
    return getattr(state.emulator, "journal", None) is not None


async def requests(
    state: AppState, account_sid: str, before: int | None, method: str | None, status: int | None, path: str | None
) -> tuple[list[dict[str, Any]], bool]:
    """Newest first, PAGE_SIZE a page: (rows, whether older ones exist)."""
    journal = getattr(state.emulator, "journal", None)
    if journal is not None:
        await journal.flush()  # what this process holds in memory is shown too
    async with state.db.read() as tx:
        rows = await journal_repo.requests_page(
            tx, account_sid, before=before, size=PAGE_SIZE, method=method, status=status, path=path
        )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


async def deliveries(state: AppState, account_sid: str, filters: Filters, req: PageRequest) -> Page[Delivery]:
    async with state.db.read() as tx:
        return await outbox.page(tx, account_sid, filters, req)


async def replay(state: AppState, account_sid: str, sid: str) -> Delivery | None:
    """The same event again, same idempotency token, after the lane's pending deliveries; as
    `POST /_chinwag/v1/WebhookDeliveries/{Sid}/Replay` (http/resources/webhook_deliveries.py)."""
    now = state.deps.clock.now()
    async with state.db.write() as tx:
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
        await outbox.enqueue(tx, again)
        await outbox.notify(tx)
        if state.events is not None:
            state.events.after_commit_wake()
        return await outbox.get(tx, account_sid, again.sid)
