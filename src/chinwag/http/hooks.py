"""What handlers call around their write for webhooks (chinwag/events): client-action checks,
pre-events before the write transaction, post-events inside it."""

from __future__ import annotations

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.domain import participants
from chinwag.domain.models import Conversation
from chinwag.events import Build, Origin, Params
from chinwag.http.context import Ctx
from chinwag.storage.db import Tx

__all__ = ["Build", "Params", "forbid_client", "post_event", "pre_event", "require_participant"]


async def require_participant(tx: Tx, origin: Origin | None, conv: Conversation) -> None:
    """A client (X-Chinwag-Client-Identity) acts only where its user is a participant, as its
    chat client could (docs/decisions.md #73); REST with account credentials may do anything."""
    identity = origin.client_identity if origin is not None else None
    if identity is not None:
        await participants.require_member(tx, conv, identity)


def forbid_client(origin: Origin | None) -> None:
    """An action no chat client can take."""
    if origin is not None and origin.client_identity is not None:
        raise TwilioError(ErrorCode.CLIENT_NOT_ALLOWED, identity=origin.client_identity)


async def pre_event(ctx: Ctx, origin: Origin | None, event_type: str, build: Build) -> dict[str, str | None]:
    """Client actions only: read what the hook needs (and check the client may act), then call the
    pre-event hooks with no transaction open. Their modifications; TwilioError on a veto."""
    if origin is None or not origin.fires_pre:
        return {}
    return await ctx.events.pre_event(origin, event_type, ctx.account_sid, build)


async def post_event(
    ctx: Ctx,
    tx: Tx,
    origin: Origin | None,
    event_type: str,
    params: Params,
    *,
    service_sid: str,
    conversation_sid: str | None,
    lane_key: str | None = None,
    body: str | None = None,
) -> None:
    await ctx.events.emit(
        tx,
        origin,
        event_type,
        params,
        account_sid=ctx.account_sid,
        service_sid=service_sid,
        conversation_sid=conversation_sid,
        lane_key=lane_key,
        body=body,
    )
