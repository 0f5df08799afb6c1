"""`/_chinwag/v1/WebhookDeliveries`: the webhook delivery log (chinwag's own API, not Twilio's).

Every outbox row of the account, newest first: what was sent where, how it went. Available in
every mode (not emulator-only), with the account's credentials. `…/{Sid}/Replay` sends the same
event again, with the same idempotency token, after the lane's pending deliveries.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import orjson
from starlette.responses import Response
from starlette.routing import Route

from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.integers import parse_int
from chinwag.core.pagination import parse_page_request
from chinwag.events import deliveries
from chinwag.events.deliveries import Delivery, Filters
from chinwag.http.context import Ctx, endpoint
from chinwag.http.forms import Params
from chinwag.http.render import json_response, list_response

BASE = "/_chinwag/v1/WebhookDeliveries"
STATUSES = (deliveries.PENDING, deliveries.DELIVERED, deliveries.FAILED)


def to_wire(d: Delivery) -> dict[str, Any]:
    return {
        "sid": d.sid,
        "event_type": d.event_type,
        "conversation_sid": d.conversation_sid,
        "url": d.url,
        "method": d.method,
        "status": d.status,
        "attempts": d.attempts,
        "request_params": dict(orjson.loads(d.params)),
        "response_status": d.response_status,
        "response_body": d.response_body,
        "error": d.error,
        "date_created": d.date_created,
        "date_updated": d.date_updated,
    }


def parse_filters(query: Params) -> tuple[Filters, list[tuple[str, str]]]:
    """The list's filters (EventType, Status, ConversationSid) and their echo for page URLs; one
    place, so a long-poll variant of the list can reuse it."""
    status = query.get("Status") or None
    if status is not None and status not in STATUSES:
        raise TwilioError(ErrorCode.DELIVERY_STATUS_INVALID, value=status)
    found = Filters(
        event_type=query.get("EventType") or None,
        status=status,
        conversation_sid=query.get("ConversationSid") or None,
    )
    return found, query.encoded("EventType", "Status", "ConversationSid")


MAX_WAIT = 60.0  # seconds a long-poll may hold the request
POLL_EVERY = 0.05


def parse_long_poll(query: Params) -> tuple[float, int] | None:
    """`Wait=<seconds>&Count=N` (docs/decisions.md #85): None without `Wait`."""
    wait_text, count_text = query.get("Wait"), query.get("Count")
    if not wait_text:
        if count_text:
            raise invalid("Count needs Wait (the longest time to wait for that many deliveries)")
        return None
    try:
        wait = float(wait_text)
    except ValueError:
        raise invalid(f"Invalid value for Wait: {wait_text!r} (seconds, at most {MAX_WAIT:g})") from None
    if not math.isfinite(wait) or not 0 <= wait <= MAX_WAIT:
        raise invalid(f"Invalid value for Wait: {wait_text!r} (seconds, at most {MAX_WAIT:g})")
    count = 1
    if count_text:
        try:
            count = parse_int(count_text, low=1, high=1000)  # 5,000 digits were a 500 (decisions.md #39)
        except ValueError:
            raise invalid(f"Invalid value for Count: {count_text!r} (1 to 1000)") from None
    return wait, count


async def _wait_for(ctx: Ctx, filters: Filters, wait: float, count: int) -> None:
    """Until `count` deliveries match the filters, or `wait` seconds passed."""
    deadline = time.monotonic() + wait
    while True:
        async with ctx.db.read() as tx:
            found = await deliveries.count(tx, ctx.account_sid, filters)
        left = deadline - time.monotonic()
        if found >= count or left <= 0:
            return
        await asyncio.sleep(min(POLL_EVERY, left))


@endpoint
async def read(ctx: Ctx) -> Response:
    query = ctx.query()
    filters, echoed = parse_filters(query)
    long_poll = parse_long_poll(query)
    list_id = f"deliveries:{ctx.account_sid}:{echoed}"
    req = parse_page_request(query, list_id)
    if long_poll is not None:
        await _wait_for(ctx, filters, *long_poll)
    async with ctx.db.read() as tx:
        page = await deliveries.page(tx, ctx.account_sid, filters, req)
    return list_response(
        url=ctx.list_url,
        key="deliveries",
        records=[to_wire(d) for d in page.items],
        page=page,
        req=req,
        list_id=list_id,
        filters=echoed,
    )


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        found = await deliveries.get(tx, ctx.account_sid, ctx.param("Sid"))
    if found is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=ctx.path)
    return json_response(to_wire(found))


@endpoint
async def replay(ctx: Ctx) -> Response:
    now = ctx.deps.clock.now()
    async with ctx.db.write() as tx:
        made = await deliveries.replay(tx, ctx.events, ctx.account_sid, ctx.param("Sid"), now)
    if made is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=ctx.path)
    return json_response(to_wire(made), 201)


def routes() -> list[Route]:
    return [
        Route(BASE, read, methods=["GET"]),
        Route(BASE + "/{Sid}", fetch, methods=["GET"]),
        Route(BASE + "/{Sid}/Replay", replay, methods=["POST"]),
    ]
