"""`/v1/ParticipantConversations?Identity=…|Address=…`, both URL forms (Twilio's docs)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from chinwag.core.pagination import parse_page_request
from chinwag.domain import participants
from chinwag.domain.models import Membership
from chinwag.http.context import Ctx, endpoint
from chinwag.http.render import list_response
from chinwag.http.resources.conversations import timers_wire
from chinwag.http.resources.participants import binding_wire
from chinwag.http.routing import both


def to_wire(m: Membership, prefix: str) -> dict[str, Any]:
    p, c = m.participant, m.conversation
    conversation_url = f"{prefix}/Conversations/{c.sid}"
    return {
        "account_sid": c.account_sid,
        "chat_service_sid": c.chat_service_sid,
        "participant_sid": p.sid,
        "participant_user_sid": p.user_sid,
        "participant_identity": p.identity,
        "participant_messaging_binding": binding_wire(p),
        "conversation_sid": c.sid,
        "conversation_unique_name": c.unique_name,
        "conversation_friendly_name": c.friendly_name,
        "conversation_attributes": c.attributes,
        "conversation_date_created": c.date_created,
        "conversation_date_updated": c.date_updated,
        "conversation_created_by": c.created_by,
        "conversation_state": c.state,
        "conversation_timers": timers_wire(c),
        "links": {"participant": f"{conversation_url}/Participants/{p.sid}", "conversation": conversation_url},
    }


@endpoint
async def read(ctx: Ctx) -> Response:
    query = ctx.query()
    filters = query.encoded("Identity", "Address")
    async with ctx.db.read() as tx:
        scope = await ctx.scope(tx)
        list_id = f"participant_conversations:{scope.service_sid}:{filters}"
        req = parse_page_request(query, list_id)
        page = await participants.conversations_of(
            tx, scope, req, identity=query.get("Identity"), address=query.get("Address")
        )
    return list_response(
        url=ctx.list_url,
        key="conversations",
        records=[to_wire(m, ctx.prefix) for m in page.items],
        page=page,
        req=req,
        list_id=list_id,
        filters=filters,
    )


def routes() -> list[Route]:
    return both("/ParticipantConversations", read, ["GET"])
