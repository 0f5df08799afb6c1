"""`POST /v1/ConversationWithParticipants` and `/v1/Services/{ChatServiceSid}/ConversationWithParticipants`."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from chinwag.domain import conversation_with_participants
from chinwag.http.context import Ctx, endpoint
from chinwag.http.render import json_response
from chinwag.http.resources.conversations import conversation_input, to_wire
from chinwag.http.routing import both


@endpoint
async def create(ctx: Ctx) -> Response:
    form = await ctx.form()
    data = conversation_input(form)
    async with ctx.db.write() as tx:
        conv = await conversation_with_participants.create(
            tx, ctx.deps, await ctx.scope(tx), data, form.getlist("Participant")
        )
    body = to_wire(conv, ctx.prefix)
    body["links"].pop("export", None)  # this resource's schema links participants, messages, webhooks
    return json_response(body, 201)


def routes() -> list[Route]:
    return both("/ConversationWithParticipants", create, ["POST"])
