"""`/_chinwag/v1/Inbound`, `/_chinwag/v1/Outbound`, `/_chinwag/v1/Receipts` with the account's
HTTP Basic credentials, answering errors in Twilio's body like the API."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from chinwag.core.pagination import parse_page_request
from chinwag.core.sids import SidPrefix
from chinwag.domain import delivery, validation
from chinwag.events import payloads
from chinwag.events.origin import API, Origin
from chinwag.http import hooks
from chinwag.http.context import Ctx, endpoint
from chinwag.http.render import json_response, list_response
from chinwag.http.resources import messages as message_resource
from chinwag.http.resources import receipts as receipt_resource
from chinwag.simulated_sms.inbound import receive
from chinwag.storage.repos import receipts as receipt_repo

PREFIX = "/_chinwag/v1"


def _outbound(row: Any) -> dict[str, Any]:
    _, to, from_, body, channel, conversation_sid, message_sid, date_created = row
    return {
        "to": to,
        "from": from_,
        "body": body,
        "media_url": None,
        "channel": channel,
        "conversation_sid": conversation_sid,
        "message_sid": message_sid,
        "date_created": date_created,
    }


@endpoint
async def outbound(ctx: Ctx) -> Response:
    """What the phone `To` would have received, newest first."""
    query = ctx.query()
    to = validation.required(query.get("To"), "To")
    async with ctx.db.read() as tx:
        list_id = f"outbound:{to}"
        req = parse_page_request(query, list_id)
        page = await receipt_repo.outbound_page(tx, ctx.account_sid, to, req)
    return list_response(
        url=ctx.list_url,
        key="messages",
        records=[_outbound(row) for row in page.items],
        page=page,
        req=req,
        list_id=list_id,
        filters=query.encoded("To"),
    )


@endpoint
async def receipts(ctx: Ctx) -> Response:
    """Moves a message's delivery receipt for one participant, as the carrier's report would."""
    form = await ctx.form()
    message_sid = validation.sid_of(
        validation.required(form.get("MessageSid"), "MessageSid"), SidPrefix.MESSAGE, "MessageSid"
    )
    participant_sid = validation.required(form.get("ParticipantSid"), "ParticipantSid")
    async with ctx.db.write() as tx:
        moved = await delivery.move(
            tx, ctx.deps, ctx.account_sid, message_sid, participant_sid, form.get("Status"), form.get("ErrorCode")
        )
        params = [
            ("ConversationSid", moved.conversation_sid),
            ("ChatServiceSid", moved.chat_service_sid),
            ("MessageSid", moved.message_sid),
            ("DeliveryReceiptSid", moved.sid),
            ("ChannelMessageSid", moved.channel_message_sid),
            ("ParticipantSid", moved.participant_sid),
            ("Status", moved.status),
            ("ErrorCode", str(moved.error_code)),
            ("DateCreated", moved.date_created),
            ("DateUpdated", moved.date_updated),
        ]
        where = {"service_sid": moved.chat_service_sid, "conversation_sid": moved.conversation_sid}
        await hooks.post_event(ctx, tx, API, "onDeliveryUpdated", params, **where)
    prefix = f"{ctx.base}/v1/Services/{moved.chat_service_sid}"
    return json_response(receipt_resource.to_wire(moved, prefix))


@endpoint
async def inbound(ctx: Ctx) -> Response:
    """A message from a phone (`From`) to one of the account's addresses (`To`). Its post-events
    fire with `Source=SMS` or `WHATSAPP`, as Twilio's do for channel traffic (no header needed)."""
    form = await ctx.form()
    async with ctx.db.write() as tx:
        got = await receive(
            tx,
            ctx.deps,
            ctx.account_sid,
            form.get("From"),
            form.get("To"),
            form.get("Body"),
            form.getlist("MediaUrl"),
            form.get("Channel"),
        )
        conv, message = got.conversation, got.message
        origin = Origin(got.channel.upper())
        where = {"service_sid": conv.chat_service_sid, "conversation_sid": conv.sid}
        if got.joined is not None:
            await hooks.post_event(ctx, tx, origin, "onConversationAdded", payloads.conversation(conv), **where)
            joined = payloads.participant(got.joined, conv.messaging_service_sid)
            await hooks.post_event(ctx, tx, origin, "onParticipantAdded", joined, **where)
        added = payloads.message(message, conv.messaging_service_sid)
        await hooks.post_event(ctx, tx, origin, "onMessageAdded", added, body=message.body, **where)
    prefix = f"{ctx.base}/v1/Services/{message.chat_service_sid}"
    return json_response(message_resource.to_wire(message, prefix), 201)


def routes() -> list[Route]:
    return [
        Route(PREFIX + "/Inbound", inbound, methods=["POST"]),
        Route(PREFIX + "/Outbound", outbound, methods=["GET"]),
        Route(PREFIX + "/Receipts", receipts, methods=["POST"]),
    ]
