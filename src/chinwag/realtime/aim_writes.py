"""aim mutations: what a chat client changes, as a client action (docs/ARCHITECTURE.md, Webhooks).

Each is the REST handler's sequence with the socket's user as the actor, `Origin("SDK",
identity)`: a read transaction resolves the pre-event hooks and checks the user may act (a
participant; only their own messages), the hooks are called with no transaction open, then one
write transaction makes the change and writes the post-events to the outbox. Replies carry what
the client reads (`index` of a sent message); the state itself reaches clients as Sync events.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.domain import conversations, messages, participants
from chinwag.domain.conversations import ConversationInput
from chinwag.domain.messages import MessageInput
from chinwag.domain.models import Conversation, Message, Scope
from chinwag.domain.participants import ParticipantInput
from chinwag.events import Build, Origin, Params, payloads
from chinwag.realtime.upstream import Answer, Call
from chinwag.storage.db import Tx
from chinwag.storage.repos import participants as participant_repo
from chinwag.storage.repos import realtime_commands


def text(value: Any) -> str | None:
    """A body field as the domain takes it: attributes arrive as a JSON string (or an object)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def actor(call: Call) -> tuple[Origin, Scope, str]:
    grant = call.conn.grant
    assert grant is not None
    return Origin("SDK", grant.identity), Scope(grant.account_sid, grant.service_sid), grant.identity


async def _pre(call: Call, event_type: str, build: Build) -> dict[str, str | None]:
    """Resolve the hooks in a read transaction, then call them with none open (events/prehooks.py)."""
    origin, scope, _ = actor(call)
    return await call.conn.rt.events.pre_event(origin, event_type, scope.account_sid, build)


async def _post(
    call: Call, tx: Tx, event_type: str, params: Params, conv: Conversation, body: str | None = None
) -> None:
    origin, scope, _ = actor(call)
    await call.conn.rt.events.emit(
        tx,
        origin,
        event_type,
        params,
        account_sid=scope.account_sid,
        service_sid=conv.chat_service_sid,
        conversation_sid=conv.sid,
        body=body,
    )


def message_wire(m: Message) -> dict[str, Any]:
    return {
        "sid": m.sid,
        "index": m.index,
        "author": m.author,
        "body": m.body,
        "attributes": m.attributes,
        "participant_sid": m.participant_sid,
        "conversation_sid": m.conversation_sid,
        "date_created": m.date_created,
        "date_updated": m.date_updated,
    }


# -- conversations/{CH}/… ---------------------------------------------------------------------


async def conversations_route(call: Call, rest: list[str]) -> Answer:
    method = call.method
    if not rest:
        if method == "POST":
            return await conversation_create(call)
    elif len(rest) == 1:
        if method == "POST":
            return await conversation_update(call, rest[0])
        if method == "DELETE":
            return await conversation_delete(call, rest[0])
    elif rest[1] == "Messages":
        if len(rest) == 2 and method == "POST":
            return await message_send(call, rest[0])
        if len(rest) == 3 and method in ("POST", "DELETE"):
            return await message_change(call, rest[0], rest[2])
    elif rest[1] == "Participants":
        if len(rest) == 2 and method == "POST":
            return await participant_add(call, rest[0])
        if len(rest) == 3 and method in ("POST", "DELETE"):
            return await participant_change(call, rest[0], rest[2])
    raise TwilioError(ErrorCode.NOT_FOUND, path="/Conversations/" + "/".join(rest))


def _conversation_params(service_sid: str, data: ConversationInput, conv: Conversation | None) -> Params:
    pairs = [
        ("ConversationSid", conv.sid if conv else None),
        ("ChatServiceSid", service_sid),
        (
            "FriendlyName",
            data.friendly_name if data.friendly_name is not None else (conv.friendly_name if conv else None),
        ),
        ("UniqueName", data.unique_name if data.unique_name is not None else (conv.unique_name if conv else None)),
        ("Attributes", data.attributes if data.attributes is not None else (conv.attributes if conv else None)),
    ]
    return [(k, v) for k, v in pairs if v is not None]


def _conversation_input(body: dict[str, Any]) -> ConversationInput:
    return ConversationInput(
        friendly_name=text(body.get("friendly_name")),
        unique_name=text(body.get("unique_name")),
        attributes=text(body.get("attributes")),
    )


async def conversation_create(call: Call) -> Answer:
    from chinwag.realtime.aim import conversation_wire

    _, scope, identity = actor(call)
    data = _conversation_input(call.json())

    async def build(tx: Tx) -> tuple[str, str | None, Params, str | None]:
        return scope.service_sid, None, _conversation_params(scope.service_sid, data, None), None

    changes = await _pre(call, "onConversationAdd", build)
    if "friendly_name" in changes:
        data = replace(data, friendly_name=changes["friendly_name"] or "")
    async with call.conn.rt.db.write() as tx:
        conv = await conversations.create(tx, call.conn.rt.deps, scope, data)
        # The client's user made it (REST says "system"): its client opens the document before joining.
        await realtime_commands.set_created_by(tx, conv.sid, identity)
        conv = replace(conv, created_by=identity)
        await _post(call, tx, "onConversationAdded", payloads.conversation(conv), conv)
    return Answer(201, conversation_wire(conv))


async def conversation_update(call: Call, ref: str) -> Answer:
    from chinwag.realtime.aim import conversation_wire

    _, scope, identity = actor(call)
    data = _conversation_input(call.json())
    path = "/Conversations/" + ref

    async def build(tx: Tx) -> tuple[str, str | None, Params, str | None]:
        conv = await conversations.fetch(tx, scope, ref, path)
        await participants.require_member(tx, conv, identity)
        return conv.chat_service_sid, conv.sid, _conversation_params(conv.chat_service_sid, data, conv), None

    changes = await _pre(call, "onConversationUpdate", build)
    if "friendly_name" in changes:
        data = replace(data, friendly_name=changes["friendly_name"] or "")
    async with call.conn.rt.db.write() as tx:
        conv = await conversations.update(tx, call.conn.rt.deps, scope, ref, path, data)
        await _post(call, tx, "onConversationUpdated", payloads.conversation(conv, updated=True), conv)
    return Answer(200, conversation_wire(conv))


async def conversation_delete(call: Call, ref: str) -> Answer:
    _, scope, identity = actor(call)
    path = "/Conversations/" + ref

    async def build(tx: Tx) -> tuple[str, str | None, Params, str | None]:
        conv = await conversations.fetch(tx, scope, ref, path)
        await participants.require_member(tx, conv, identity)
        return conv.chat_service_sid, conv.sid, payloads.conversation(conv), None

    await _pre(call, "onConversationRemove", build)
    async with call.conn.rt.db.write() as tx:
        conv = await conversations.fetch(tx, scope, ref, path, lock=True)
        params = payloads.conversation(conv, removed=call.conn.rt.deps.now())
        await _post(call, tx, "onConversationRemoved", params, conv)
        await conversations.delete(tx, scope, ref, path)
    return Answer(204, {})


# -- messages ---------------------------------------------------------------------------------


def _modified(data: MessageInput, changes: dict[str, str | None], identity: str) -> MessageInput:
    if "body" in changes:
        data = replace(data, body=changes["body"] or "")
    if "attributes" in changes:
        data = replace(data, attributes=changes["attributes"] or "")
    if "author" in changes:  # a hook may rename the author (Twilio's webhook docs)
        data = replace(data, author=changes["author"] or identity)
    return data


async def message_send(call: Call, ref: str) -> Answer:
    _, scope, identity = actor(call)
    body = call.json()
    media = body.get("media_sids")
    data = MessageInput(
        author=identity,
        body=text(body.get("body")),
        attributes=text(body.get("attributes")),
        subject=text(body.get("subject")),
        media_sids=tuple(str(sid) for sid in media) if isinstance(media, list) else (),
    )
    path = f"/Conversations/{ref}/Messages"

    async def build(tx: Tx) -> tuple[str, str | None, Params, str | None]:
        conv = await conversations.fetch(tx, scope, ref, path)
        await participants.require_member(tx, conv, identity)
        return conv.chat_service_sid, conv.sid, payloads.message_pre(conv, data, None), data.body

    data = _modified(data, await _pre(call, "onMessageAdd", build), identity)
    async with call.conn.rt.db.write() as tx:
        conv = await conversations.fetch(tx, scope, ref, path, lock=True)
        message = await messages.post(tx, call.conn.rt.deps, conv, data)
        params = payloads.message(message, conv.messaging_service_sid)
        await _post(call, tx, "onMessageAdded", params, conv, body=message.body)
    return Answer(201, message_wire(message))


async def message_change(call: Call, ref: str, message_ref: str) -> Answer:
    _, scope, identity = actor(call)
    body = call.json()
    data = MessageInput(body=text(body.get("body")), attributes=text(body.get("attributes")))
    path = f"/Conversations/{ref}/Messages/{message_ref}"
    removing = call.method == "DELETE"

    async def build(tx: Tx) -> tuple[str, str | None, Params, str | None]:
        conv = await conversations.fetch(tx, scope, ref, path)
        await participants.require_member(tx, conv, identity)
        current = await messages.fetch(tx, conv, message_ref, path)
        if current.author != identity:  # a client changes only its own messages (docs/decisions.md #73)
            raise TwilioError(ErrorCode.CLIENT_NOT_ALLOWED, identity=identity)
        return conv.chat_service_sid, conv.sid, payloads.message_pre(conv, data, current), data.body

    changes = await _pre(call, "onMessageRemove" if removing else "onMessageUpdate", build)
    async with call.conn.rt.db.write() as tx:
        conv = await conversations.fetch(tx, scope, ref, path, lock=True)
        current = await messages.fetch(tx, conv, message_ref, path)
        if removing:
            await messages.delete(tx, conv, message_ref, path)
            params = payloads.message(current, conv.messaging_service_sid, removed=call.conn.rt.deps.now())
            await _post(call, tx, "onMessageRemoved", params, conv)
            return Answer(204, {})
        changed = await messages.update(
            tx, call.conn.rt.deps, conv, message_ref, path, _modified(data, changes, identity)
        )
        params = payloads.message(changed, conv.messaging_service_sid, updated=True)
        await _post(call, tx, "onMessageUpdated", params, conv)
    return Answer(200, message_wire(changed))


# -- participants -----------------------------------------------------------------------------


async def participant_add(call: Call, ref: str) -> Answer:
    _, scope, identity = actor(call)
    body = call.json()
    data = ParticipantInput(identity=text(body.get("identity")), attributes=text(body.get("attributes")))
    path = f"/Conversations/{ref}/Participants"

    async def build(tx: Tx) -> tuple[str, str | None, Params, str | None]:
        conv = await conversations.fetch(tx, scope, ref, path)
        if data.identity != identity:  # joining oneself needs no membership; adding others does
            await participants.require_member(tx, conv, identity)
        pairs = [("ConversationSid", conv.sid), ("ChatServiceSid", conv.chat_service_sid)]
        pairs += [("Identity", data.identity or ""), ("Attributes", data.attributes or "{}")]
        return conv.chat_service_sid, conv.sid, pairs, None

    await _pre(call, "onParticipantAdd", build)
    async with call.conn.rt.db.write() as tx:
        conv = await conversations.fetch(tx, scope, ref, path, lock=True)
        made = await participants.add(tx, call.conn.rt.deps, scope, conv, data)
        await _post(call, tx, "onParticipantAdded", payloads.participant(made, conv.messaging_service_sid), conv)
    return Answer(201, {"sid": made.sid, "identity": made.identity, "conversation_sid": conv.sid})


async def participant_change(call: Call, ref: str, who: str) -> Answer:
    _, scope, identity = actor(call)
    body = call.json()
    data = ParticipantInput(attributes=text(body.get("attributes")))
    path = f"/Conversations/{ref}/Participants/{who}"
    removing = call.method == "DELETE"
    event = "onParticipantRemove" if removing else "onParticipantUpdate"

    async def build(tx: Tx) -> tuple[str, str | None, Params, str | None]:
        conv = await conversations.fetch(tx, scope, ref, path)
        await participants.require_member(tx, conv, identity)
        current = await _participant(tx, conv, who, path)
        return conv.chat_service_sid, conv.sid, payloads.participant(current, conv.messaging_service_sid), None

    await _pre(call, event, build)
    async with call.conn.rt.db.write() as tx:
        conv = await conversations.fetch(tx, scope, ref, path, lock=True)
        current = await _participant(tx, conv, who, path)
        if removing:
            await participants.remove(tx, conv, current.sid, path)
            params = payloads.participant(current, conv.messaging_service_sid, removed=call.conn.rt.deps.now())
            await _post(call, tx, "onParticipantRemoved", params, conv)
            return Answer(204, {})
        changed = await participants.update(tx, call.conn.rt.deps, scope, conv, current.sid, path, data)
        params = payloads.participant(changed, conv.messaging_service_sid, updated=True)
        await _post(call, tx, "onParticipantUpdated", params, conv)
    return Answer(200, {"sid": changed.sid, "identity": changed.identity})


async def _participant(tx: Tx, conv: Conversation, who: str, path: str) -> Any:
    """The client names a participant by its SID (the roster key) or by identity."""
    if not who.startswith("MB"):
        sid = await participant_repo.sid_by_identity(tx, conv.sid, who)
        if sid is None:
            raise TwilioError(ErrorCode.NOT_FOUND, path=path)
        who = sid
    return await participants.fetch(tx, conv, who, path)
