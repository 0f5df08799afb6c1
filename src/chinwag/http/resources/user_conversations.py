"""`/v1/Users/{UserSid}/Conversations[/{ConversationSid}]`, both URL forms (seeds 000-004).

`url` and `links` mirror the form used: `/v1/Users/US…/Conversations/CH…` with
`links.participant` = `/v1/Conversations/CH…/Participants/MB…` for the default service, the same
under `/v1/Services/IS…` otherwise.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from chinwag.domain import user_conversations
from chinwag.domain.models import Membership
from chinwag.domain.user_conversations import UserConversation
from chinwag.http.context import Ctx, endpoint
from chinwag.http.listing import Listing, read_list
from chinwag.http.render import json_response, no_content
from chinwag.http.resources.conversations import timers_wire
from chinwag.http.routing import both, by_method
from chinwag.storage.db import Tx


def to_wire(m: Membership, prefix: str, user_sid: str) -> dict[str, Any]:
    return _Wire(prefix, user_sid).record(UserConversation.of(m))


class _Wire:
    """Renders a user's conversations; the URL parts every row of a page shares are made once."""

    __slots__ = ("conversations", "user_conversations", "user_sid")

    def __init__(self, prefix: str, user_sid: str) -> None:
        self.user_sid = user_sid
        self.conversations = f"{prefix}/Conversations/"
        self.user_conversations = f"{prefix}/Users/{user_sid}/Conversations/"

    def record(self, uc: UserConversation) -> dict[str, Any]:
        sid = uc.conversation_sid
        conversation_url = self.conversations + sid
        return {
            "account_sid": uc.account_sid,
            "chat_service_sid": uc.chat_service_sid,
            "conversation_sid": sid,
            "unread_messages_count": uc.unread_messages_count,
            "last_read_message_index": uc.last_read_message_index,
            "participant_sid": uc.participant_sid,
            "user_sid": self.user_sid,
            "friendly_name": uc.friendly_name,
            "conversation_state": uc.state,
            "timers": timers_wire(uc),
            "attributes": uc.attributes,
            "date_created": uc.date_created,
            "date_updated": uc.date_updated,
            "created_by": uc.created_by,
            "notification_level": uc.notification_level,
            "unique_name": uc.unique_name,
            "url": self.user_conversations + sid,
            "links": {
                "participant": f"{conversation_url}/Participants/{uc.participant_sid}",
                "conversation": conversation_url,
            },
        }


@endpoint
async def read(ctx: Ctx) -> Response:
    async def open_list(tx: Tx) -> Listing[UserConversation]:
        user = await user_conversations.find_user(tx, await ctx.scope(tx), ctx.param("UserSid"), ctx.path)
        page = partial(user_conversations.page, tx, user)
        return Listing(f"user_conversations:{user.sid}", page, _Wire(ctx.prefix, user.sid).record)

    return await read_list(ctx, "conversations", open_list)


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        found = await user_conversations.fetch(
            tx, await ctx.scope(tx), ctx.param("UserSid"), ctx.param("ConversationSid"), ctx.path
        )
    return json_response(to_wire(found, ctx.prefix, _user_sid(found)))


@endpoint
async def update(ctx: Ctx) -> Response:
    form = await ctx.form()
    async with ctx.db.write() as tx:
        found = await user_conversations.update(
            tx,
            ctx.deps,
            await ctx.scope(tx),
            ctx.param("UserSid"),
            ctx.param("ConversationSid"),
            ctx.path,
            notification_level=form.get("NotificationLevel"),
            last_read_message_index=form.get("LastReadMessageIndex"),
            last_read_timestamp=form.get("LastReadTimestamp"),
        )
    return json_response(to_wire(found, ctx.prefix, _user_sid(found)))


@endpoint
async def delete(ctx: Ctx) -> Response:
    async with ctx.db.write() as tx:
        await user_conversations.leave(
            tx, await ctx.scope(tx), ctx.param("UserSid"), ctx.param("ConversationSid"), ctx.path, now=ctx.deps.now()
        )
    return no_content()


def _user_sid(m: Membership) -> str:
    assert m.participant.user_sid is not None  # memberships are found through a user
    return m.participant.user_sid


def routes() -> list[Route]:
    base = "/Users/{UserSid}/Conversations"
    return [
        *both(base, read, ["GET"]),
        *both(base + "/{ConversationSid}", by_method(GET=fetch, POST=update, DELETE=delete), ["GET", "POST", "DELETE"]),
    ]
