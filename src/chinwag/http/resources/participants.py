"""`/v1/Conversations/{ConversationSid}/Participants[/{Sid}]`, both URL forms."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from chinwag.domain import conversations, participants
from chinwag.domain.models import Conversation, Participant
from chinwag.domain.participants import ParticipantInput
from chinwag.events import payloads
from chinwag.http import hooks
from chinwag.http.context import Ctx, endpoint
from chinwag.http.forms import Params
from chinwag.http.listing import Listing, read_list
from chinwag.http.render import json_response, no_content
from chinwag.http.routing import both, by_method
from chinwag.storage.db import Tx


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


def _pre_params(conv: Conversation, data: ParticipantInput, current: Participant | None) -> hooks.Params:
    pairs = [
        ("ConversationSid", conv.sid),
        ("ChatServiceSid", conv.chat_service_sid),
        ("MessagingServiceSid", conv.messaging_service_sid),
        ("ParticipantSid", current.sid if current else None),
        ("Identity", current.identity if current else data.identity),
        ("RoleSid", data.role_sid or (current.role_sid if current else None)),
        ("Attributes", data.attributes if data.attributes is not None else (current.attributes if current else None)),
        ("MessagingBinding.Address", data.address or (current.binding_address if current else None)),
        ("MessagingBinding.ProxyAddress", data.proxy_address or (current.binding_proxy_address if current else None)),
    ]
    return [(k, v) for k, v in pairs if v]


@endpoint
async def create(ctx: Ctx) -> Response:
    data = _input(await ctx.form())
    origin = ctx.origin()

    async def build(tx: Any) -> tuple[str, str | None, hooks.Params, str | None]:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        await hooks.require_participant(tx, origin, conv)
        return conv.chat_service_sid, conv.sid, _pre_params(conv, data, None), None

    await hooks.pre_event(ctx, origin, "onParticipantAdd", build)
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        conv = await conversations.fetch(tx, scope, ctx.param("ConversationSid"), ctx.path, lock=True)
        made = await participants.add(tx, ctx.deps, scope, conv, data)
        params = payloads.participant(made, conv.messaging_service_sid)
        await hooks.post_event(
            ctx, tx, origin, "onParticipantAdded", params, service_sid=conv.chat_service_sid, conversation_sid=conv.sid
        )
    return json_response(to_wire(made, ctx.prefix), 201)


@endpoint
async def read(ctx: Ctx) -> Response:
    async def open_list(tx: Tx) -> Listing[Participant]:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        return Listing(
            f"participants:{conv.sid}", partial(participants.page, tx, conv), lambda p: to_wire(p, ctx.prefix)
        )

    return await read_list(ctx, "participants", open_list)


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        found = await participants.fetch(tx, conv, ctx.param("Sid"), ctx.path)
    return json_response(to_wire(found, ctx.prefix))


@endpoint
async def update(ctx: Ctx) -> Response:
    data = _input(await ctx.form())
    origin = ctx.origin()

    async def build(tx: Any) -> tuple[str, str | None, hooks.Params, str | None]:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        await hooks.require_participant(tx, origin, conv)
        current = await participants.fetch(tx, conv, ctx.param("Sid"), ctx.path)
        return conv.chat_service_sid, conv.sid, _pre_params(conv, data, current), None

    await hooks.pre_event(ctx, origin, "onParticipantUpdate", build)
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        # Locked before the participant, as message writers do: a horizon move recounts unread.
        conv = await conversations.fetch(tx, scope, ctx.param("ConversationSid"), ctx.path, lock=True)
        changed = await participants.update(tx, ctx.deps, scope, conv, ctx.param("Sid"), ctx.path, data)
        params = payloads.participant(changed, conv.messaging_service_sid, updated=True)
        await hooks.post_event(
            ctx,
            tx,
            origin,
            "onParticipantUpdated",
            params,
            service_sid=conv.chat_service_sid,
            conversation_sid=conv.sid,
        )
    return json_response(to_wire(changed, ctx.prefix))


@endpoint
async def delete(ctx: Ctx) -> Response:
    origin = ctx.origin()

    async def build(tx: Any) -> tuple[str, str | None, hooks.Params, str | None]:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        await hooks.require_participant(tx, origin, conv)
        current = await participants.fetch(tx, conv, ctx.param("Sid"), ctx.path)
        return conv.chat_service_sid, conv.sid, payloads.participant(current, conv.messaging_service_sid), None

    await hooks.pre_event(ctx, origin, "onParticipantRemove", build)
    async with ctx.db.write() as tx:
        conv = await conversations.fetch(
            tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path, lock=True
        )  # locked: the roster's realtime events keep commit order (domain/sync_events.py)
        current = await participants.fetch(tx, conv, ctx.param("Sid"), ctx.path) if origin else None
        await participants.remove(tx, conv, ctx.param("Sid"), ctx.path, now=ctx.deps.now())
        if current is not None:
            params = payloads.participant(current, conv.messaging_service_sid, removed=ctx.deps.now())
            await hooks.post_event(
                ctx,
                tx,
                origin,
                "onParticipantRemoved",
                params,
                service_sid=conv.chat_service_sid,
                conversation_sid=conv.sid,
            )
    return no_content()


def routes() -> list[Route]:
    base = "/Conversations/{ConversationSid}/Participants"
    return [
        *both(base, by_method(GET=read, POST=create), ["GET", "POST"]),
        *both(base + "/{Sid}", by_method(GET=fetch, POST=update, DELETE=delete), ["GET", "POST", "DELETE"]),
    ]
