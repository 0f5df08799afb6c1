"""UserConversations: a user's view of each conversation they take part in (seeds 000-004).

Never stored: a projection of the user's chat participant joined with its conversation. One
record per conversation where the user's participant exists, in any state (Twilio's docs);
ordered by when the user joined (decisions.md #9). A conversation the user is not in answers
404/20404 (decisions.md #10). Updating `LastReadMessageIndex` here or on the Participant moves
the same horizon; deleting removes the user's participant (the user leaves the conversation).

A list page is built straight from the columns a record shows (`UserConversation`), not from whole
participant and conversation rows: at 50 rows a page, every column fetched is measurable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from chinwag.core.clock import iso
from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.core.pagination import PageRequest
from chinwag.domain import conversations, read_state, sync_events, users
from chinwag.domain.deps import Deps
from chinwag.domain.models import Membership, Page, Scope, User
from chinwag.storage.db import Tx
from chinwag.storage.repos import participants as participant_repo


@dataclass(slots=True)
class UserConversation:
    """What one record shows (besides the user's SID), in the repository's column order
    (`participants.USER_CONVERSATION_COLUMNS`)."""

    seq: int  # the participant's: the list's order
    participant_sid: str
    last_read_message_index: int | None
    unread_count: int
    notification_level: str
    account_sid: str
    chat_service_sid: str
    conversation_sid: str
    friendly_name: str | None
    state: str
    date_inactive: str | None
    date_closed: str | None
    attributes: str
    date_created: str
    date_updated: str
    created_by: str
    unique_name: str | None

    @property
    def unread_messages_count(self) -> int | None:
        return read_state.shown(self.last_read_message_index, self.unread_count)

    @classmethod
    def of(cls, m: Membership) -> UserConversation:
        p, c = m.participant, m.conversation
        return cls(
            p.seq, p.sid, p.last_read_message_index, p.unread_count, p.notification_level,
            c.account_sid, c.chat_service_sid, c.sid, c.friendly_name, c.state, c.date_inactive, c.date_closed,
            c.attributes, c.date_created, c.date_updated, c.created_by, c.unique_name,
        )  # fmt: skip


async def page(tx: Tx, user: User, req: PageRequest) -> Page[UserConversation]:
    return await participant_repo.user_conversations(tx, user.sid, req, UserConversation)


async def find_user(tx: Tx, scope: Scope, user_ref: str, path: str) -> User:
    return await users.fetch(tx, scope, user_ref, path)


async def fetch(
    tx: Tx, scope: Scope, user_ref: str, conversation_ref: str, path: str, *, lock: bool = False
) -> Membership:
    user = await users.fetch(tx, scope, user_ref, path)
    # A writer locks the conversation before the participant: the order message posts and deletes
    # take, so a horizon move and a message write queue instead of racing (see set_horizon).
    conv = await conversations.fetch(tx, scope, conversation_ref, path, lock=lock)
    found = await participant_repo.membership(tx, conv.sid, user.identity, lock=lock)
    if found is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return found


async def update(
    tx: Tx,
    deps: Deps,
    scope: Scope,
    user_ref: str,
    conversation_ref: str,
    path: str,
    *,
    notification_level: str | None,
    last_read_message_index: str | None,
    last_read_timestamp: str | None,
) -> Membership:
    found = await fetch(tx, scope, user_ref, conversation_ref, path, lock=True)
    participant = await read_state.apply(
        tx,
        deps,
        found.participant,
        horizon=last_read_message_index,
        timestamp=last_read_timestamp,
        level=notification_level,
    )
    await sync_events.participant_updated(tx, found.participant, participant, deps.now())
    return Membership(participant, found.conversation)


async def leave(
    tx: Tx, scope: Scope, user_ref: str, conversation_ref: str, path: str, *, now: str | None = None
) -> None:
    """`now`: the request's time (Deps.now()), the date of its realtime events; default the server's."""
    found = await fetch(tx, scope, user_ref, conversation_ref, path, lock=True)
    await participant_repo.delete(tx, found.participant.sid)
    await sync_events.participants_removed(tx, [found.participant], now or iso(time.time()))
