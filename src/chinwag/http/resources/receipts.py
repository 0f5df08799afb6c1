"""`/v1/Conversations/{ConversationSid}/Messages/{MessageSid}/Receipts[/{Sid}]`, both URL forms."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from chinwag.domain import conversations, delivery, messages
from chinwag.domain.models import DeliveryReceipt
from chinwag.http.context import Ctx, endpoint
from chinwag.http.listing import Listing, read_list
from chinwag.http.render import json_response
from chinwag.http.routing import both
from chinwag.storage.db import Tx


def to_wire(r: DeliveryReceipt, prefix: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account_sid": r.account_sid,
        "conversation_sid": r.conversation_sid,
        "message_sid": r.message_sid,
        "sid": r.sid,
        "channel_message_sid": r.channel_message_sid,
        "participant_sid": r.participant_sid,
        "status": r.status,
        "error_code": r.error_code,
        "date_created": r.date_created,
        "date_updated": r.date_updated,
        "url": f"{prefix}/Conversations/{r.conversation_sid}/Messages/{r.message_sid}/Receipts/{r.sid}",
    }
    if "/v1/Services/" in prefix:  # only Twilio's service-scoped schema has it
        body["chat_service_sid"] = r.chat_service_sid
    return body


@endpoint
async def read(ctx: Ctx) -> Response:
    async def open_list(tx: Tx) -> Listing[DeliveryReceipt]:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        message = await messages.fetch(tx, conv, ctx.param("MessageSid"), ctx.path)
        return Listing(f"receipts:{message.sid}", partial(delivery.page, tx, message), lambda r: to_wire(r, ctx.prefix))

    return await read_list(ctx, "delivery_receipts", open_list)


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        message = await messages.fetch(tx, conv, ctx.param("MessageSid"), ctx.path)
        receipt = await delivery.fetch(tx, message, ctx.param("Sid"), ctx.path)
    return json_response(to_wire(receipt, ctx.prefix))


def routes() -> list[Route]:
    base = "/Conversations/{ConversationSid}/Messages/{MessageSid}/Receipts"
    return [*both(base, read, ["GET"]), *both(base + "/{Sid}", fetch, ["GET"])]
