"""What the console shows of an account's traffic: the emulator's request journal (emulator/,
`GET /_chinwag/v1/Requests`) and the webhook delivery log (`GET /_chinwag/v1/WebhookDeliveries`),
read through the same functions those routes use, and a delivery replayed as `…/Replay` does."""

from __future__ import annotations

from typing import Any

from chinwag.core.pagination import PageRequest
from chinwag.domain.models import Page
from chinwag.emulator.journal import read_requests
from chinwag.events import deliveries as delivery_log
from chinwag.events.deliveries import Delivery, Filters
from chinwag.http.context import AppState

PAGE_SIZE = 50


def journal_kept(state: AppState) -> bool:
    return getattr(state.emulator, "journal", None) is not None


async def requests(
    state: AppState, account_sid: str, before: int | None, method: str | None, status: int | None, path: str | None
) -> tuple[list[dict[str, Any]], bool]:
    """Newest first, PAGE_SIZE a page: (rows, whether older ones exist)."""
    journal = getattr(state.emulator, "journal", None)
    rows = await read_requests(
        state.db, journal, account_sid, before=before, size=PAGE_SIZE, method=method, status=status, path=path
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


async def deliveries(state: AppState, account_sid: str, filters: Filters, req: PageRequest) -> Page[Delivery]:
    async with state.db.read() as tx:
        return await delivery_log.page(tx, account_sid, filters, req)


async def replay(state: AppState, account_sid: str, sid: str) -> Delivery | None:
    """As `POST /_chinwag/v1/WebhookDeliveries/{Sid}/Replay` (events/deliveries.py)."""
    # The account's own clock in emulator mode, as the API's Replay uses (docs/decisions.md #80).
    deps = await state.emulator.deps_for(account_sid) if state.emulator is not None else state.deps
    now = deps.clock.now()
    async with state.db.write() as tx:
        return await delivery_log.replay(tx, state.events, account_sid, sid, now)
