"""`/v1/Roles[/{Sid}]` and `/v1/Services/{ChatServiceSid}/Roles[/{Sid}]`."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from chinwag.domain import roles
from chinwag.domain.models import Role
from chinwag.http.context import Ctx, endpoint
from chinwag.http.listing import Listing, read_list
from chinwag.http.render import json_response, no_content
from chinwag.http.routing import both, by_method
from chinwag.storage.db import Tx


def to_wire(role: Role, prefix: str) -> dict[str, Any]:
    return {
        "sid": role.sid,
        "account_sid": role.account_sid,
        "chat_service_sid": role.chat_service_sid,
        "friendly_name": role.friendly_name,
        "type": role.type,
        "permissions": list(role.permissions),
        "date_created": role.date_created,
        "date_updated": role.date_updated,
        "url": f"{prefix}/Roles/{role.sid}",
    }


@endpoint
async def create(ctx: Ctx) -> Response:
    form = await ctx.form()
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        role = await roles.create(
            tx, ctx.deps, scope, form.get("FriendlyName"), form.get("Type"), form.getlist("Permission")
        )
    return json_response(to_wire(role, ctx.prefix), 201)


@endpoint
async def read(ctx: Ctx) -> Response:
    async def open_list(tx: Tx) -> Listing[Role]:
        scope = await ctx.scope(tx)
        return Listing(f"roles:{scope.service_sid}", partial(roles.page, tx, scope), lambda r: to_wire(r, ctx.prefix))

    return await read_list(ctx, "roles", open_list)


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        scope = await ctx.scope(tx)
        role = await roles.fetch(tx, scope, ctx.param("Sid"), ctx.path)
    return json_response(to_wire(role, ctx.prefix))


@endpoint
async def update(ctx: Ctx) -> Response:
    form = await ctx.form()
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        role = await roles.update(tx, ctx.deps, scope, ctx.param("Sid"), form.getlist("Permission"), ctx.path)
    return json_response(to_wire(role, ctx.prefix))


@endpoint
async def delete(ctx: Ctx) -> Response:
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        await roles.delete(tx, scope, ctx.param("Sid"), ctx.path)
    return no_content()


def routes() -> list[Route]:
    return [
        *both("/Roles", by_method(GET=read, POST=create), ["GET", "POST"]),
        *both("/Roles/{Sid}", by_method(GET=fetch, POST=update, DELETE=delete), ["GET", "POST", "DELETE"]),
    ]
