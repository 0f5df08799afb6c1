"""aim commands about the socket's own user: read horizon and notification level of a
conversation, the user's friendly name and attributes, and typing (never stored)."""

from __future__ import annotations

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.domain import conversations, participants, user_conversations, users
from chinwag.realtime.aim_writes import actor, text
from chinwag.realtime.upstream import Answer, Call

TYPING_TIMEOUT = 5  # seconds; the SDK's own default (docs/decisions.md #126)


async def my_conversation_update(call: Call, ref: str) -> Answer:
    """Read horizon or notification level: `{last_read_message_index: n|null}`, `{notification_level}`."""
    _, scope, _ = actor(call)
    body = call.json()
    horizon: str | None = None
    if "last_read_message_index" in body:
        value = body["last_read_message_index"]
        horizon = "" if value is None else str(value)
    level = text(body.get("notification_level"))
    async with call.conn.rt.db.write() as tx:
        found = await user_conversations.update(
            tx,
            call.conn.rt.deps,
            scope,
            call.conn.user_sid,
            ref,
            "/Me/Conversations/" + ref,
            notification_level=level,
            last_read_message_index=horizon,
            last_read_timestamp=None,
        )
    from chinwag.realtime.aim import sync_objects

    uc = user_conversations.UserConversation.of(found)
    return Answer(
        200,
        {
            "conversation_sid": uc.conversation_sid,
            "last_read_message_index": uc.last_read_message_index,
            "unread_messages_count": uc.unread_messages_count,
            "notification_level": uc.notification_level,
            "sync_objects": sync_objects(uc.conversation_sid),
        },
    )


async def user_update(call: Call, ref: str) -> Answer:
    """A client changes only its own user's friendly name and attributes."""
    _, scope, identity = actor(call)
    if ref not in (identity, call.conn.user_sid):
        raise TwilioError(ErrorCode.CLIENT_NOT_ALLOWED, identity=identity)
    body = call.json()
    async with call.conn.rt.db.write() as tx:
        changed = await users.update(
            tx,
            call.conn.rt.deps,
            scope,
            call.conn.user_sid,
            "/Users/" + ref,
            friendly_name=text(body.get("friendly_name")),
            attributes=text(body.get("attributes")),
        )
    return Answer(200, {"sid": changed.sid, "identity": changed.identity, "friendly_name": changed.friendly_name})


async def typing(call: Call) -> Answer:
    """`ChannelSid=CH…` (a form): tell the conversation's other members' clients. Ephemeral."""
    _, scope, identity = actor(call)
    ref = str(call.json().get("ChannelSid", ""))
    async with call.conn.rt.db.read() as tx:
        conv = await conversations.fetch(tx, scope, ref, "/Typing")
        await participants.require_member(tx, conv, identity)
    await call.conn.rt.hub.typing(scope.account_sid, conv.sid, identity, TYPING_TIMEOUT)
    return Answer(200, {"typing_timeout": TYPING_TIMEOUT})
