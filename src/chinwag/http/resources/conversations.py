"""`/v1/Conversations[/{Sid}]` and `/v1/Services/{ChatServiceSid}/Conversations[/{Sid}]`."""

from __future__ import annotations

import json
from typing import Any, Protocol

from starlette.responses import Response
from starlette.routing import Route

from chinwag.core.pagination import parse_page_request
from chinwag.domain import conversations
from chinwag.domain.conversations import ConversationInput
from chinwag.domain.models import Conversation
from chinwag.http.context import Ctx, endpoint
from chinwag.http.forms import Params
from chinwag.http.render import json_response, list_response, no_content
from chinwag.http.routing import both, by_method


class Deadlines(Protocol):
    """What `timers_wire` reads: a Conversation, or a UserConversation record's columns."""

    @property
    def date_inactive(self) -> str | None: ...
    @property
    def date_closed(self) -> str | None: ...


def timers_wire(conv: Deadlines) -> dict[str, str]:
    timers = {}
    if conv.date_inactive is not None:
        timers["date_inactive"] = conv.date_inactive
    if conv.date_closed is not None:
        timers["date_closed"] = conv.date_closed
    return timers


def to_wire(conv: Conversation, prefix: str) -> dict[str, Any]:
    url = f"{prefix}/Conversations/{conv.sid}"
    return {
        "account_sid": conv.account_sid,
        "chat_service_sid": conv.chat_service_sid,
        "messaging_service_sid": conv.messaging_service_sid,
        "sid": conv.sid,
        "friendly_name": conv.friendly_name,
        "unique_name": conv.unique_name,
        "attributes": conv.attributes,
        "state": conv.state,
        "date_created": conv.date_created,
        "date_updated": conv.date_updated,
        "timers": timers_wire(conv),
        "url": url,
        "links": {
            "participants": f"{url}/Participants",
            "messages": f"{url}/Messages",
            "webhooks": f"{url}/Webhooks",
            "export": f"{url}/Export",
        },
        "bindings": json.loads(conv.bindings) if conv.bindings else {},
    }


def _input(form: Params) -> ConversationInput:
    return ConversationInput(
        friendly_name=form.get("FriendlyName"),
        unique_name=form.get("UniqueName"),
        attributes=form.get("Attributes"),
        messaging_service_sid=form.get("MessagingServiceSid"),
        state=form.get("State"),
        timer_inactive=form.get("Timers.Inactive"),
        timer_closed=form.get("Timers.Closed"),
        date_created=form.get("DateCreated"),
        date_updated=form.get("DateUpdated"),
        email_address=form.get("Bindings.Email.Address"),
        email_name=form.get("Bindings.Email.Name"),
    )


@endpoint
async def create(ctx: Ctx) -> Response:
    data = _input(await ctx.form())
    async with ctx.db.write() as tx:
        conv = await conversations.create(tx, ctx.deps, await ctx.scope(tx), data)
    return json_response(to_wire(conv, ctx.prefix), 201)


@endpoint
async def read(ctx: Ctx) -> Response:
    query = ctx.query()
    filters = query.encoded("StartDate", "EndDate", "State")
    async with ctx.db.read() as tx:
        scope = await ctx.scope(tx)
        list_id = f"conversations:{scope.service_sid}:{filters}"
        req = parse_page_request(query, list_id)
        page = await conversations.page(
            tx, scope, req, query.get("State"), query.get("StartDate"), query.get("EndDate")
        )
    return list_response(
        url=ctx.list_url,
        key="conversations",
        records=[to_wire(c, ctx.prefix) for c in page.items],
        page=page,
        req=req,
        list_id=list_id,
        filters=filters,
    )


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("Sid"), ctx.path)
    return json_response(to_wire(conv, ctx.prefix))


@endpoint
async def update(ctx: Ctx) -> Response:
    data = _input(await ctx.form())
    async with ctx.db.write() as tx:
        conv = await conversations.update(tx, ctx.deps, await ctx.scope(tx), ctx.param("Sid"), ctx.path, data)
    return json_response(to_wire(conv, ctx.prefix))


@endpoint
async def delete(ctx: Ctx) -> Response:
    async with ctx.db.write() as tx:
        await conversations.delete(tx, await ctx.scope(tx), ctx.param("Sid"), ctx.path)
    return no_content()


def routes() -> list[Route]:
    return [
        *both("/Conversations", by_method(GET=read, POST=create), ["GET", "POST"]),
        *both("/Conversations/{Sid}", by_method(GET=fetch, POST=update, DELETE=delete), ["GET", "POST", "DELETE"]),
    ]
