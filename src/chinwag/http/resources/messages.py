"""`/v1/Conversations/{ConversationSid}/Messages[/{Sid}]`, both URL forms."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
from starlette.responses import Response
from starlette.routing import Route

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.domain import conversations, messages, timers
from chinwag.domain.messages import MessageInput
from chinwag.domain.models import Conversation, Message
from chinwag.events import payloads
from chinwag.http import hooks
from chinwag.http.context import Ctx, endpoint
from chinwag.http.forms import Params
from chinwag.http.listing import Listing, read_list
from chinwag.http.render import json_response, no_content
from chinwag.http.routing import both, by_method
from chinwag.storage.db import Tx


def to_wire(m: Message, prefix: str) -> dict[str, Any]:
    url = f"{prefix}/Conversations/{m.conversation_sid}/Messages/{m.sid}"
    body: dict[str, Any] = {
        "account_sid": m.account_sid,
        "conversation_sid": m.conversation_sid,
        "sid": m.sid,
        "index": m.index,
        "author": m.author,
        "body": m.body,
        "media": None if m.media is None else orjson.Fragment(m.media),
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
        media_sids=(media_sid,) if (media_sid := form.get("MediaSid")) else (),
        subject=form.get("Subject"),
    )


def _modified(data: MessageInput, changes: dict[str, str | None]) -> MessageInput:
    """A pre-event hook's answer replaces body, author, attributes (Twilio's webhook docs); the domain
    validates them as if the caller had sent them."""
    fields: dict[str, Any] = {name: changes[name] or "" for name in ("body", "author", "attributes") if name in changes}
    return replace(data, **fields) if fields else data


@endpoint
async def create(ctx: Ctx) -> Response:
    data = _input(await ctx.form())
    origin = ctx.origin()
    if origin is not None and origin.client_identity is not None:
        data = replace(data, author=origin.client_identity)  # a client posts as its user

    async def build(tx: Any) -> tuple[str, str | None, hooks.Params, str | None]:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        await hooks.require_participant(tx, origin, conv)
        return conv.chat_service_sid, conv.sid, payloads.message_pre(conv, data, None), data.body

    data = _modified(data, await hooks.pre_event(ctx, origin, "onMessageAdd", build))
    async with ctx.db.write() as tx:
        if origin is None:  # nothing to fire: the whole post may be one statement (PostgreSQL)
            ref = ctx.param("ConversationSid")
            plain = await messages.post_plain(tx, ctx.deps, ctx.account_sid, ctx.service_sid, ref, data)
            if plain is not None:
                return json_response(to_wire(plain, ctx.prefix), 201)
        _, conv = await ctx.conversation(tx, lock=True)
        message = await messages.post(tx, ctx.deps, conv, data)
        if origin is not None:
            where = {"service_sid": conv.chat_service_sid, "conversation_sid": conv.sid}
            params = payloads.message(message, conv.messaging_service_sid)
            await hooks.post_event(ctx, tx, origin, "onMessageAdded", params, body=message.body, **where)
            if conv.state == timers.INACTIVE:  # the message made it active again
                now = replace(conv, state=timers.ACTIVE, date_updated=message.date_created)
                state = payloads.state_updated(now, conv.state, "API")
                await hooks.post_event(ctx, tx, origin, "onConversationStateUpdated", state, **where)
    return json_response(to_wire(message, ctx.prefix), 201)


@endpoint
async def read(ctx: Ctx) -> Response:
    query = ctx.query()
    order = query.get("Order")

    async def open_list(tx: Tx) -> Listing[Message]:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        return Listing(
            f"messages:{conv.sid}:{order}",
            lambda req: messages.page(tx, conv, req, order),
            lambda m: to_wire(m, ctx.prefix),
        )

    return await read_list(ctx, "messages", open_list, query.encoded("Order"), query)


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        message = await messages.fetch(tx, conv, ctx.param("Sid"), ctx.path)
    return json_response(to_wire(message, ctx.prefix))


@endpoint
async def update(ctx: Ctx) -> Response:
    data = _input(await ctx.form())
    origin = ctx.origin()

    async def build(tx: Any) -> tuple[str, str | None, hooks.Params, str | None]:
        conv, current = await _clients_own(ctx, tx, origin)
        return conv.chat_service_sid, conv.sid, payloads.message_pre(conv, data, current), data.body

    data = _modified(data, await hooks.pre_event(ctx, origin, "onMessageUpdate", build))
    async with ctx.db.write() as tx:
        # Locked: the messages list's realtime events keep commit order (domain/sync_events.py).
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path, lock=True)
        message = await messages.update(tx, ctx.deps, conv, ctx.param("Sid"), ctx.path, data)
        params = payloads.message(message, conv.messaging_service_sid, updated=True)
        await hooks.post_event(
            ctx, tx, origin, "onMessageUpdated", params, service_sid=conv.chat_service_sid, conversation_sid=conv.sid
        )
    return json_response(to_wire(message, ctx.prefix))


async def _clients_own(ctx: Ctx, tx: Tx, origin: Any) -> tuple[Conversation, Message]:
    """For a pre-event of an update or delete: the conversation and the message, once the acting
    client is found to be a participant and the message its own."""
    conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
    await hooks.require_participant(tx, origin, conv)
    current = await messages.fetch(tx, conv, ctx.param("Sid"), ctx.path)
    _own_message(origin, current)
    return conv, current


def _own_message(origin: Any, current: Message) -> None:
    """A client changes or removes only its own messages (docs/decisions.md #73)."""
    identity = origin.client_identity if origin is not None else None
    if identity is not None and current.author != identity:
        raise TwilioError(ErrorCode.CLIENT_NOT_ALLOWED, identity=identity)


@endpoint
async def delete(ctx: Ctx) -> Response:
    origin = ctx.origin()

    async def build(tx: Any) -> tuple[str, str | None, hooks.Params, str | None]:
        conv, current = await _clients_own(ctx, tx, origin)
        return conv.chat_service_sid, conv.sid, payloads.message(current, conv.messaging_service_sid), None

    await hooks.pre_event(ctx, origin, "onMessageRemove", build)
    async with ctx.db.write() as tx:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path, lock=True)
        current = await messages.fetch(tx, conv, ctx.param("Sid"), ctx.path)
        await messages.delete(tx, conv, ctx.param("Sid"), ctx.path, now=ctx.deps.now())
        params = payloads.message(current, conv.messaging_service_sid, removed=ctx.deps.now())
        await hooks.post_event(
            ctx, tx, origin, "onMessageRemoved", params, service_sid=conv.chat_service_sid, conversation_sid=conv.sid
        )
    return no_content()


def routes() -> list[Route]:
    base = "/Conversations/{ConversationSid}/Messages"
    return [
        *both(base, by_method(GET=read, POST=create), ["GET", "POST"]),
        *both(base + "/{Sid}", by_method(GET=fetch, POST=update, DELETE=delete), ["GET", "POST", "DELETE"]),
    ]
