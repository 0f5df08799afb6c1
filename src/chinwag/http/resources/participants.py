"""`/v1/Conversations/{ConversationSid}/Participants[/{Sid}]`, both URL forms."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from chinwag.core.pagination import parse_page_request
from chinwag.domain import conversations, participants
from chinwag.domain.models import Participant
from chinwag.domain.participants import ParticipantInput
from chinwag.http.context import Ctx, endpoint
from chinwag.http.forms import Params
from chinwag.http.render import json_response, list_response, no_content
from chinwag.http.routing import both, by_method


def binding_wire(p: Participant) -> dict[str, Any] | None:
    if p.binding_type is None:
        return None
    binding: dict[str, Any] = {"type": p.binding_type}
    if p.binding_address is not None:
        binding["address"] = p.binding_address
    if p.binding_proxy_address is not None:
        binding["proxy_address"] = p.binding_proxy_address
    if p.binding_projected_address is not None:
        binding["projected_address"] = p.binding_projected_address
    return binding


def to_wire(p: Participant, prefix: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account_sid": p.account_sid,
        "conversation_sid": p.conversation_sid,
        "sid": p.sid,
        "identity": p.identity,
        "attributes": p.attributes,
        "messaging_binding": binding_wire(p),
        "role_sid": p.role_sid,
        "date_created": p.date_created,
        "date_updated": p.date_updated,
        "url": f"{prefix}/Conversations/{p.conversation_sid}/Participants/{p.sid}",
        "last_read_message_index": p.last_read_message_index,
        "last_read_timestamp": p.last_read_timestamp,
    }
    if "/v1/Services/" in prefix:  # Twilio's service-scoped schema has it, the short-URL one does not
        body["chat_service_sid"] = p.chat_service_sid
    return body


def _input(form: Params) -> ParticipantInput:
    return ParticipantInput(
        identity=form.get("Identity"),
        address=form.get("MessagingBinding.Address"),
        proxy_address=form.get("MessagingBinding.ProxyAddress"),
        projected_address=form.get("MessagingBinding.ProjectedAddress"),
        attributes=form.get("Attributes"),
        role_sid=form.get("RoleSid"),
        date_created=form.get("DateCreated"),
        date_updated=form.get("DateUpdated"),
        last_read_message_index=form.get("LastReadMessageIndex"),
        last_read_timestamp=form.get("LastReadTimestamp"),
    )


@endpoint
async def create(ctx: Ctx) -> Response:
    data = _input(await ctx.form())
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        conv = await conversations.fetch(tx, scope, ctx.param("ConversationSid"), ctx.path, lock=True)
        made = await participants.add(tx, ctx.deps, scope, conv, data)
    return json_response(to_wire(made, ctx.prefix), 201)


@endpoint
async def read(ctx: Ctx) -> Response:
    query = ctx.query()
    async with ctx.db.read() as tx:
        scope = await ctx.scope(tx)
        conv = await conversations.fetch(tx, scope, ctx.param("ConversationSid"), ctx.path)
        list_id = f"participants:{conv.sid}"
        req = parse_page_request(query, list_id)
        page = await participants.page(tx, conv, req)
    return list_response(
        url=ctx.list_url,
        key="participants",
        records=[to_wire(p, ctx.prefix) for p in page.items],
        page=page,
        req=req,
        list_id=list_id,
        filters=[],
    )


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        found = await participants.fetch(tx, conv, ctx.param("Sid"), ctx.path)
    return json_response(to_wire(found, ctx.prefix))


@endpoint
async def update(ctx: Ctx) -> Response:
    data = _input(await ctx.form())
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        # Locked before the participant, as message writers do: a horizon move recounts unread.
        conv = await conversations.fetch(tx, scope, ctx.param("ConversationSid"), ctx.path, lock=True)
        changed = await participants.update(tx, ctx.deps, scope, conv, ctx.param("Sid"), ctx.path, data)
    return json_response(to_wire(changed, ctx.prefix))


@endpoint
async def delete(ctx: Ctx) -> Response:
    async with ctx.db.write() as tx:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        await participants.remove(tx, conv, ctx.param("Sid"), ctx.path)
    return no_content()


def routes() -> list[Route]:
    base = "/Conversations/{ConversationSid}/Participants"
    return [
        *both(base, by_method(GET=read, POST=create), ["GET", "POST"]),
        *both(base + "/{Sid}", by_method(GET=fetch, POST=update, DELETE=delete), ["GET", "POST", "DELETE"]),
    ]
