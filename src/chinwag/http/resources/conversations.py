"""`/v1/Conversations[/{Sid}]` and `/v1/Services/{ChatServiceSid}/Conversations[/{Sid}]`."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Protocol

from starlette.responses import Response
from starlette.routing import Route

from chinwag.core.pagination import parse_page_request
from chinwag.domain import conversations
from chinwag.domain.conversations import ConversationInput
from chinwag.domain.models import Conversation
from chinwag.events import payloads
from chinwag.http import hooks
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


def conversation_input(form: Params) -> ConversationInput:
    """The create/update form of a conversation (also read by `…/ConversationWithParticipants`)."""
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


def _pre_params(service_sid: str, data: ConversationInput, current: Conversation | None) -> hooks.Params:
    def pick(sent: str | None, now: str | None) -> str | None:
        return sent if sent is not None else now

    pairs = [
        ("ConversationSid", current.sid if current else None),
        ("ChatServiceSid", service_sid),
        ("MessagingServiceSid", pick(data.messaging_service_sid, current.messaging_service_sid if current else None)),
        ("FriendlyName", pick(data.friendly_name, current.friendly_name if current else None)),
        ("UniqueName", pick(data.unique_name, current.unique_name if current else None)),
        ("Attributes", pick(data.attributes, current.attributes if current else None)),
        ("State", pick(data.state, current.state if current else None)),
    ]
    return [(k, v) for k, v in pairs if v is not None]


def _modified(data: ConversationInput, changes: dict[str, str | None]) -> ConversationInput:
    """A pre-event hook may replace friendly_name (Twilio's webhook docs)."""
    if "friendly_name" in changes:
        return replace(data, friendly_name=changes["friendly_name"] or "")
    return data


@endpoint
async def create(ctx: Ctx) -> Response:
    data = conversation_input(await ctx.form())
    origin = ctx.origin()

    async def build(tx: Any) -> tuple[str, str | None, hooks.Params, str | None]:
        scope = await ctx.scope(tx)
        return scope.service_sid, None, _pre_params(scope.service_sid, data, None), None

    data = _modified(data, await hooks.pre_event(ctx, origin, "onConversationAdd", build))
    async with ctx.db.write() as tx:
        conv = await conversations.create(tx, ctx.deps, await ctx.scope(tx), data)
        await hooks.post_event(
            ctx,
            tx,
            origin,
            "onConversationAdded",
            payloads.conversation(conv),
            service_sid=conv.chat_service_sid,
            conversation_sid=conv.sid,
        )
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
    data = conversation_input(await ctx.form())
    origin = ctx.origin()

    async def build(tx: Any) -> tuple[str, str | None, hooks.Params, str | None]:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("Sid"), ctx.path)
        await hooks.require_participant(tx, origin, conv)
        return conv.chat_service_sid, conv.sid, _pre_params(conv.chat_service_sid, data, conv), None

    data = _modified(data, await hooks.pre_event(ctx, origin, "onConversationUpdate", build))
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        before = await conversations.fetch(tx, scope, ctx.param("Sid"), ctx.path, lock=True) if origin else None
        conv = await conversations.update(tx, ctx.deps, scope, ctx.param("Sid"), ctx.path, data)
        if before is not None:
            where = {"service_sid": conv.chat_service_sid, "conversation_sid": conv.sid}
            params = payloads.conversation(conv, updated=True)
            await hooks.post_event(ctx, tx, origin, "onConversationUpdated", params, **where)
            if before.state != conv.state:
                state = payloads.state_updated(conv, before.state, "API")
                await hooks.post_event(ctx, tx, origin, "onConversationStateUpdated", state, **where)
    return json_response(to_wire(conv, ctx.prefix))


@endpoint
async def delete(ctx: Ctx) -> Response:
    origin = ctx.origin()

    async def build(tx: Any) -> tuple[str, str | None, hooks.Params, str | None]:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("Sid"), ctx.path)
        await hooks.require_participant(tx, origin, conv)
        return conv.chat_service_sid, conv.sid, payloads.conversation(conv), None

    await hooks.pre_event(ctx, origin, "onConversationRemove", build)
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        conv = await conversations.fetch(tx, scope, ctx.param("Sid"), ctx.path, lock=True) if origin else None
        if conv is not None:
            # Written before the conversation goes: the targets configured on it are read now.
            params = payloads.conversation(conv, removed=ctx.deps.now())
            await hooks.post_event(
                ctx,
                tx,
                origin,
                "onConversationRemoved",
                params,
                service_sid=conv.chat_service_sid,
                conversation_sid=conv.sid,
            )
        await conversations.delete(tx, scope, ctx.param("Sid"), ctx.path, now=ctx.deps.now())
    return no_content()


def routes() -> list[Route]:
    return [
        *both("/Conversations", by_method(GET=read, POST=create), ["GET", "POST"]),
        *both("/Conversations/{Sid}", by_method(GET=fetch, POST=update, DELETE=delete), ["GET", "POST", "DELETE"]),
    ]
