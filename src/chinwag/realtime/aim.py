"""aim: the chat commands under `/Client/v2/…`, routed to chinwag's domain.

The client learns every link from `Configuration`; the host part is only a label (the requests
travel inside the socket). Reads here; mutations (with their webhooks) in aim_writes.py. Each
command runs in one transaction, as a REST request does.
"""

from __future__ import annotations

from typing import Any

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.core.integers import parse_int
from chinwag.core.pagination import PageRequest
from chinwag.domain import conversations, user_conversations, users
from chinwag.domain.models import Conversation, Scope
from chinwag.domain.user_conversations import UserConversation
from chinwag.media import wire
from chinwag.realtime import aim_own, aim_writes
from chinwag.realtime.upstream import Answer, Call
from chinwag.storage.repos import realtime_commands
from chinwag.storage.repos import services as service_repo

AIM = "https://aim.chinwag/Client/v2"  # a label: the client sends these through the socket
MY_PAGE = 50


def sync_objects(conversation_sid: str) -> dict[str, str]:
    return {
        "conversation": f"{conversation_sid}.doc",
        "messages": f"{conversation_sid}.msgs",
        "participants": f"{conversation_sid}.roster",
    }


def scope_of(call: Call) -> Scope:
    grant = call.conn.grant
    assert grant is not None
    return Scope(grant.account_sid, grant.service_sid)


async def route(call: Call, rest: list[str]) -> Answer:
    method = call.method
    head = rest[0] if rest else ""
    if head == "Configuration" and len(rest) == 1 and method == "GET":
        return await configuration(call)
    if head == "Me" and rest[1:2] == ["Conversations"]:
        if len(rest) == 2 and method == "GET":
            return await my_conversations(call)
        if len(rest) == 3 and method == "GET":
            return await my_conversation(call, rest[2])
        if len(rest) == 3 and method == "POST":
            return await aim_own.my_conversation_update(call, rest[2])
    if head == "Conversations":
        if len(rest) == 2 and method == "GET":
            return await conversation(call, rest[1])
        return await aim_writes.conversations_route(call, rest[1:])
    if head == "Users" and len(rest) == 2:
        if method == "GET":
            return await user(call, rest[1])
        if method == "POST":
            return await aim_own.user_update(call, rest[1])
    if head == "Typing" and method == "POST":
        return await aim_own.typing(call)
    raise TwilioError(ErrorCode.NOT_FOUND, path="/Client/v2/" + "/".join(rest))


async def configuration(call: Call) -> Answer:
    conn = call.conn
    grant = conn.grant
    assert grant is not None
    async with conn.rt.db.read() as tx:
        cfg = await service_repo.config(tx, grant.service_sid)
    base = conn.rt.base_url(conn)
    return Answer(
        200,
        {
            "identity": grant.identity,
            "links": {
                "my_conversations": f"{AIM}/Me/Conversations",
                "conversations": f"{AIM}/Conversations",
                "users": f"{AIM}/Users",
                "current_user": f"{AIM}/Users/{conn.user_sid}",
                "typing": f"{AIM}/Typing",
                "media_service": wire.media_url(base, grant.service_sid),
                "media_set_service": wire.media_set_url(base, grant.service_sid),
                "messages_receipts": f"{AIM}/Conversations/%s/Messages/%s/Receipts",
            },
            "options": {
                "reachability_enabled": bool(cfg is not None and cfg.reachability_enabled),
                # Reads are cached this long times 100 ms by the client: PT1S keeps counts fresh (#124).
                "http_cache_interval": "PT1S",
                "consumption_report_interval": "PT5S",
                "user_infos_to_subscribe": 100,
                "media_attachments_count_limit": 1,
                "media_attachment_size_limit_in_mb": 150,
                "media_attachments_total_size_limit_in_mb": 150,
                "email_histories_allowed_mime_types": [],
                "email_bodies_allowed_mime_types": [],
                "media_attachments_allowed_mime_types": [],
            },
            "sync_objects": {"my_user_info": f"{conn.user_sid}.info", "my_conversations": f"{conn.user_sid}.convs"},
        },
    )


def _membership_wire(uc: UserConversation) -> dict[str, Any]:
    return {
        "conversation_sid": uc.conversation_sid,
        "status": "joined",
        "participant_sid": uc.participant_sid,
        "friendly_name": uc.friendly_name,
        "unique_name": uc.unique_name,
        "attributes": uc.attributes,
        "created_by": uc.created_by,
        "date_created": uc.date_created,
        "date_updated": uc.date_updated,
        "last_read_message_index": uc.last_read_message_index,
        "unread_messages_count": uc.unread_messages_count,
        "notification_level": uc.notification_level,
        "state": uc.state,
        "sync_objects": sync_objects(uc.conversation_sid),
        "url": f"{AIM}/Me/Conversations/{uc.conversation_sid}",
    }


async def my_conversations(call: Call) -> Answer:
    token = call.params.get("PageToken")
    after = None
    if token:
        try:
            after = parse_int(token)
        except ValueError:
            raise TwilioError(ErrorCode.INVALID_PARAMETER, message="PageToken is not valid") from None
    conn = call.conn
    async with conn.rt.db.read() as tx:
        me = await users.fetch(tx, scope_of(call), conn.user_sid, "/Me")
        page = await user_conversations.page(tx, me, PageRequest(MY_PAGE, 0, after=after))
    next_token = str(page.last_key) if page.has_next and page.last_key is not None else None
    return Answer(
        200,
        {
            "conversations": [_membership_wire(uc) for uc in page.items],
            "meta": {"next_token": next_token, "previous_token": None, "page_size": MY_PAGE},
        },
    )


async def my_conversation(call: Call, ref: str) -> Answer:
    conn = call.conn
    async with conn.rt.db.read() as tx:
        found = await user_conversations.fetch(tx, scope_of(call), conn.user_sid, ref, "/Me/Conversations/" + ref)
    return Answer(200, _membership_wire(UserConversation.of(found)))


def conversation_wire(conv: Conversation, counts: tuple[int, int] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sid": conv.sid,
        "conversation_sid": conv.sid,
        "account_sid": conv.account_sid,
        "chat_service_sid": conv.chat_service_sid,
        "friendly_name": conv.friendly_name,
        "unique_name": conv.unique_name,
        "attributes": conv.attributes,
        "created_by": conv.created_by,
        "date_created": conv.date_created,
        "date_updated": conv.date_updated,
        "state": conv.state,
        "status": "joined",
        "url": f"{AIM}/Conversations/{conv.sid}",
        "links": {
            "participants": f"{AIM}/Conversations/{conv.sid}/Participants",
            "messages": f"{AIM}/Conversations/{conv.sid}/Messages",
        },
        "sync_objects": sync_objects(conv.sid),
    }
    if counts is not None:
        body["participants_count"], body["messages_count"] = counts
    return body


async def conversation(call: Call, ref: str) -> Answer:
    conn = call.conn
    grant = conn.grant
    assert grant is not None
    async with conn.rt.db.read() as tx:
        conv = await conversations.fetch(tx, scope_of(call), ref, "/Conversations/" + ref)
        counts = await realtime_commands.conversation_counts(tx, conv.sid)
    return Answer(200, conversation_wire(conv, counts))


async def user(call: Call, ref: str) -> Answer:
    conn = call.conn
    async with conn.rt.db.read() as tx:
        found = await users.fetch(tx, scope_of(call), ref, "/Users/" + ref)
    return Answer(
        200,
        {
            "sid": found.sid,
            "identity": found.identity,
            "friendly_name": found.friendly_name,
            "attributes": found.attributes,
            "sync_objects": {"user_info_map": f"{found.sid}.info"},
        },
    )
