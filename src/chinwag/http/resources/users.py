"""`/v1/Users[/{Sid}]` and `/v1/Services/{ChatServiceSid}/Users[/{Sid}]`."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response
from starlette.routing import Route

from chinwag.core.pagination import parse_page_request
from chinwag.domain import users
from chinwag.domain.models import User
from chinwag.domain.user_record import record_fields
from chinwag.events import payloads
from chinwag.http import hooks
from chinwag.http.context import Ctx, endpoint
from chinwag.http.render import json_response, list_response, no_content
from chinwag.http.routing import both, by_method
from chinwag.realtime import presence


def to_wire(user: User, prefix: str) -> dict[str, Any]:
    url = f"{prefix}/Users/{user.sid}"
    return {**record_fields(user), "url": url, "links": {"user_conversations": url + "/Conversations"}}


def _listed(users_url: str, sid: str, fields: str) -> orjson.Fragment:
    """One record of a list page from its stored fields (domain/user_record.py): the same JSON as
    `to_wire`, whose URL keys come last for this. `users_url` comes JSON-escaped (the host is the
    client's); a SID is `US` + hex, with nothing to escape."""
    url = users_url + sid
    return orjson.Fragment(f'{fields},"url":"{url}","links":{{"user_conversations":"{url}/Conversations"}}}}')


@endpoint
async def create(ctx: Ctx) -> Response:
    form = await ctx.form()
    origin = ctx.origin()
    hooks.forbid_client(origin)  # a chat client cannot create users
    async with ctx.db.write() as tx:
        user = await users.create_in(
            tx,
            ctx.deps,
            ctx.account_sid,
            ctx.service_sid,
            ctx.path,
            form.get("Identity"),
            form.get("FriendlyName"),
            form.get("Attributes"),
            form.get("RoleSid"),
            alone=origin is None,  # no event to record in the same transaction
        )
        await hooks.post_event(
            ctx,
            tx,
            origin,
            "onUserAdded",
            payloads.user(user),
            service_sid=user.chat_service_sid,
            conversation_sid=None,
            lane_key=user.sid,
        )
    return json_response(to_wire(user, ctx.prefix), 201)


@endpoint
async def read(ctx: Ctx) -> Response:
    query = ctx.query()
    async with ctx.db.read() as tx:
        scope = await ctx.scope(tx)
        list_id = f"users:{scope.service_sid}"
        req = parse_page_request(query, list_id)
        page = await users.page(tx, scope, req)
    users_url = orjson.dumps(f"{ctx.prefix}/Users/").decode()[1:-1]
    return list_response(
        url=ctx.list_url,
        key="users",
        records=[_listed(users_url, sid, fields) for sid, fields in page.items],
        page=page,
        req=req,
        list_id=list_id,
        filters=[],
    )


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        user, reachable = await users.fetch_in_reachable(
            tx, ctx.account_sid, ctx.service_sid, ctx.param("Sid"), ctx.path
        )
        online = await presence.is_online(tx, user) if reachable else None
    body = to_wire(user, ctx.prefix)
    if online is not None:  # reachability on: the realtime layer knows (docs/decisions.md #128)
        body["is_online"], body["is_notifiable"] = online, False
    return json_response(body)


@endpoint
async def update(ctx: Ctx) -> Response:
    form = await ctx.form()
    origin = ctx.origin()

    async def build(tx: Any) -> tuple[str, str | None, hooks.Params, str | None]:
        scope = await ctx.scope(tx)
        current = await users.fetch(tx, scope, ctx.param("Sid"), ctx.path)
        if origin is not None and origin.client_identity != current.identity:
            hooks.forbid_client(origin)  # a client updates its own user only
        pairs = [
            ("ChatServiceSid", scope.service_sid),
            ("UserSid", current.sid),
            ("Identity", current.identity),
            ("RoleSid", form.get("RoleSid") or current.role_sid),
            ("Attributes", form.get("Attributes") if form.get("Attributes") is not None else current.attributes),
            (
                "FriendlyName",
                form.get("FriendlyName") if form.get("FriendlyName") is not None else current.friendly_name,
            ),
            ("DateUpdated", payloads.date(ctx.deps.now())),
        ]
        return scope.service_sid, None, [(k, v) for k, v in pairs if v is not None], None

    await hooks.pre_event(ctx, origin, "onUserUpdate", build)
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        user = await users.update(
            tx,
            ctx.deps,
            scope,
            ctx.param("Sid"),
            ctx.path,
            friendly_name=form.get("FriendlyName"),
            attributes=form.get("Attributes"),
            role_sid=form.get("RoleSid"),
        )
        await hooks.post_event(
            ctx,
            tx,
            origin,
            "onUserUpdated",
            payloads.user(user, updated=True),
            service_sid=user.chat_service_sid,
            conversation_sid=None,
            lane_key=user.sid,
        )
    return json_response(to_wire(user, ctx.prefix))


@endpoint
async def delete(ctx: Ctx) -> Response:
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        await users.delete(tx, scope, ctx.param("Sid"), ctx.path, now=ctx.deps.now())
    return no_content()


def routes() -> list[Route]:
    return [
        *both("/Users", by_method(GET=read, POST=create), ["GET", "POST"]),
        *both("/Users/{Sid}", by_method(GET=fetch, POST=update, DELETE=delete), ["GET", "POST", "DELETE"]),
    ]
