"""`/v1/Services/{ChatServiceSid}/Bindings[/{Sid}]` (service-scoped only, as on Twilio)."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from chinwag.domain import bindings
from chinwag.domain.models import Binding
from chinwag.http.context import Ctx, endpoint
from chinwag.http.listing import Listing, read_list
from chinwag.http.render import json_response, no_content
from chinwag.http.routing import by_method
from chinwag.storage.db import Tx

PATH = "/v1/Services/{ChatServiceSid}/Bindings"


def to_wire(b: Binding, base: str) -> dict[str, Any]:
    return {
        "sid": b.sid,
        "account_sid": b.account_sid,
        "chat_service_sid": b.chat_service_sid,
        "credential_sid": b.credential_sid,
        "date_created": b.date_created,
        "date_updated": b.date_updated,
        "endpoint": b.endpoint,
        "identity": b.identity,
        "binding_type": b.binding_type,
        "message_types": list(b.message_types),
        "url": f"{base}/v1/Services/{b.chat_service_sid}/Bindings/{b.sid}",
    }


@endpoint
async def read(ctx: Ctx) -> Response:
    query = ctx.query()
    types, identities = query.getlist("BindingType"), query.getlist("Identity")

    async def open_list(tx: Tx) -> Listing[Binding]:
        scope = await ctx.scope(tx)
        list_id = f"bindings:{scope.service_sid}:{sorted(types)}:{sorted(identities)}"
        return Listing(list_id, partial(bindings.page, tx, scope, types, identities), lambda b: to_wire(b, ctx.base))

    return await read_list(ctx, "bindings", open_list, query.encoded("BindingType", "Identity"), query)


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        found = await bindings.fetch(tx, await ctx.scope(tx), ctx.param("Sid"), ctx.path)
    return json_response(to_wire(found, ctx.base))


@endpoint
async def delete(ctx: Ctx) -> Response:
    async with ctx.db.write() as tx:
        await bindings.delete(tx, await ctx.scope(tx), ctx.param("Sid"), ctx.path)
    return no_content()


def routes() -> list[Route]:
    return [
        Route(PATH, read, methods=["GET"]),
        Route(PATH + "/{Sid}", by_method(GET=fetch, DELETE=delete), methods=["GET", "DELETE"]),
    ]
