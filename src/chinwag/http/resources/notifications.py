"""`/v1/Services/{ChatServiceSid}/Configuration/Notifications` (service-scoped only, as on Twilio)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from chinwag.domain import notifications
from chinwag.domain.models import Scope
from chinwag.http.context import Ctx, endpoint
from chinwag.http.render import json_response
from chinwag.http.routing import by_method

PATH = "/v1/Services/{ChatServiceSid}/Configuration/Notifications"


def to_wire(scope: Scope, settings: dict[str, Any], base: str) -> dict[str, Any]:
    return {
        "account_sid": scope.account_sid,
        "chat_service_sid": scope.service_sid,
        **settings,
        "url": f"{base}/v1/Services/{scope.service_sid}/Configuration/Notifications",
    }


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        scope = await ctx.scope(tx)
        settings = await notifications.fetch(tx, scope)
    return json_response(to_wire(scope, settings, ctx.base))


@endpoint
async def update(ctx: Ctx) -> Response:
    form = await ctx.form()
    sent = {name: value for name in notifications.PARAMETERS if (value := form.get(name)) is not None}
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        settings = await notifications.update(tx, scope, sent)
    return json_response(to_wire(scope, settings, ctx.base))


def routes() -> list[Route]:
    return [Route(PATH, by_method(GET=fetch, POST=update), methods=["GET", "POST"])]
