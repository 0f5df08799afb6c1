"""`/v1/Conversations/{ConversationSid}/Messages[/{Sid}]`, both URL forms."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response
from starlette.routing import Route

from chinwag.core.pagination import parse_page_request
from chinwag.domain import conversations, messages
from chinwag.domain.messages import MessageInput
from chinwag.domain.models import Message
from chinwag.http.context import Ctx, endpoint
from chinwag.http.forms import Params
from chinwag.http.render import json_response, list_response, no_content
from chinwag.http.routing import both, by_method


def to_wire(m: Message, prefix: str) -> dict[str, Any]:
    url = f"{prefix}/Conversations/{m.conversation_sid}/Messages/{m.sid}"
    body: dict[str, Any] = {
        "account_sid": m.account_sid,
        "conversation_sid": m.conversation_sid,
        "sid": m.sid,
        "index": m.index,
        "author": m.author,
        "body": m.body,
        "media": None,
        "attributes": m.attributes,
        "participant_sid": m.participant_sid,
        "date_created": m.date_created,
        "date_updated": m.date_updated,
        "url": url,
        "delivery": None if m.delivery is None else orjson.Fragment(m.delivery),
        "links": {"delivery_receipts": f"{url}/Receipts", "channel_metadata": f"{url}/ChannelMetadata"},
        "content_sid": m.content_sid,
    }
    if "/v1/Services/" in prefix:  # Twilio's service-scoped schema has it, the short-URL one does not
        body["chat_service_sid"] = m.chat_service_sid
    return body


def _input(form: Params) -> MessageInput:
    return MessageInput(
        author=form.get("Author"),
        body=form.get("Body"),
        attributes=form.get("Attributes"),
        date_created=form.get("DateCreated"),
        date_updated=form.get("DateUpdated"),
        content_sid=form.get("ContentSid"),
        media_sid=form.get("MediaSid"),
        subject=form.get("Subject"),
    )


@endpoint
async def create(ctx: Ctx) -> Response:
    data = _input(await ctx.form())
    async with ctx.db.write() as tx:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path, lock=True)
        message = await messages.post(tx, ctx.deps, conv, data)
    return json_response(to_wire(message, ctx.prefix), 201)


@endpoint
async def read(ctx: Ctx) -> Response:
    query = ctx.query()
    order = query.get("Order")
    filters = query.encoded("Order")
    async with ctx.db.read() as tx:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        list_id = f"messages:{conv.sid}:{order}"
        req = parse_page_request(query, list_id)
        page = await messages.page(tx, conv, req, order)
    return list_response(
        url=ctx.list_url,
        key="messages",
        records=[to_wire(m, ctx.prefix) for m in page.items],
        page=page,
        req=req,
        list_id=list_id,
        filters=filters,
    )


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        message = await messages.fetch(tx, conv, ctx.param("Sid"), ctx.path)
    return json_response(to_wire(message, ctx.prefix))


@endpoint
async def update(ctx: Ctx) -> Response:
    data = _input(await ctx.form())
    async with ctx.db.write() as tx:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        message = await messages.update(tx, ctx.deps, conv, ctx.param("Sid"), ctx.path, data)
    return json_response(to_wire(message, ctx.prefix))


@endpoint
async def delete(ctx: Ctx) -> Response:
    async with ctx.db.write() as tx:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path, lock=True)
        await messages.delete(tx, conv, ctx.param("Sid"), ctx.path)
    return no_content()


def routes() -> list[Route]:
    base = "/Conversations/{ConversationSid}/Messages"
    return [
        *both(base, by_method(GET=read, POST=create), ["GET", "POST"]),
        *both(base + "/{Sid}", by_method(GET=fetch, POST=update, DELETE=delete), ["GET", "POST", "DELETE"]),
    ]
