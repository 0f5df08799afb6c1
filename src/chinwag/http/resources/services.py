"""`/v1/Services[/{Sid}]`: create, fetch, list, delete (Twilio has no update)."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from chinwag.domain import chat_services
from chinwag.domain.models import Service
from chinwag.http.context import Ctx, endpoint
from chinwag.http.listing import Listing, read_list
from chinwag.http.render import json_response, no_content
from chinwag.http.routing import by_method
from chinwag.storage.db import Tx

_LINKS = (
    ("conversations", "Conversations"),
    ("users", "Users"),
    ("roles", "Roles"),
    ("bindings", "Bindings"),
    ("configuration", "Configuration"),
    ("participant_conversations", "ParticipantConversations"),
    ("conversation_with_participants", "ConversationWithParticipants"),
)


def to_wire(service: Service, base: str) -> dict[str, Any]:
    url = f"{base}/v1/Services/{service.sid}"
    return {
        "account_sid": service.account_sid,
        "sid": service.sid,
        "friendly_name": service.friendly_name,
        "date_created": service.date_created,
        "date_updated": service.date_updated,
        "url": url,
        "links": {name: f"{url}/{path}" for name, path in _LINKS},
    }


@endpoint
async def create(ctx: Ctx) -> Response:
    form = await ctx.form()
    async with ctx.db.write() as tx:
        service = await chat_services.create(tx, ctx.deps, ctx.account_sid, form.get("FriendlyName"))
    return json_response(to_wire(service, ctx.base), 201)


@endpoint
async def read(ctx: Ctx) -> Response:
    async def open_list(tx: Tx) -> Listing[Service]:
        page = partial(chat_services.page, tx, ctx.account_sid)
        return Listing(f"services:{ctx.account_sid}", page, lambda s: to_wire(s, ctx.base))

    return await read_list(ctx, "services", open_list)


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        service = await chat_services.fetch(tx, ctx.account_sid, ctx.param("Sid"), ctx.path)
    return json_response(to_wire(service, ctx.base))


@endpoint
async def delete(ctx: Ctx) -> Response:
    async with ctx.db.write() as tx:
        await chat_services.delete(tx, ctx.account_sid, ctx.param("Sid"), ctx.path)
    return no_content()


def routes() -> list[Route]:
    return [
        Route("/v1/Services", by_method(GET=read, POST=create), methods=["GET", "POST"]),
        Route("/v1/Services/{Sid}", by_method(GET=fetch, DELETE=delete), methods=["GET", "DELETE"]),
    ]
