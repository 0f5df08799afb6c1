"""The one entry point for writing the realtime event log: what each change tells Sync clients.

Called by the domain functions that make the change (so REST, ConversationWithParticipants,
simulated SMS, timers and the realtime socket's commands all write the same events), inside the
change's own transaction, always. Each call is ONE multi-row INSERT (storage/repos/realtime_events.py),
placed after the statement that locked the changed rows: the conversation's row for `CH…` objects,
each user's advisory lock for `US…` objects (`hold_users`, PostgreSQL only), which keeps one
object's ids in commit order (realtime/log.py, docs/decisions.md #139). Lock order everywhere:
conversation rows, then participant rows, then user locks, then users' rows (a user update or
delete takes the user's lock before its UPDATE/DELETE). Shapes: domain/sync_shapes.py.
"""

from __future__ import annotations

from typing import Any

from chinwag.domain import sync_shapes as shape
from chinwag.domain.models import Conversation, Message, Participant, User
from chinwag.storage.db import Tx
from chinwag.storage.repos import realtime_events as repo
from chinwag.storage.repos import sync_projection as reads
from chinwag.storage.repos.realtime_events import NewEvent

MAP, LIST, DOCUMENT = "map", "list", "document"


def _map(account: str, object_sid: str, event_type: str, key: str, data: Any) -> NewEvent:
    return NewEvent(account, object_sid, MAP, event_type, key, None, data)


def _list(account: str, object_sid: str, event_type: str, index: int, data: Any) -> NewEvent:
    return NewEvent(account, object_sid, LIST, event_type, None, index, data)


def _document(c: Conversation, last: tuple[int, str] | None) -> NewEvent:
    return NewEvent(
        c.account_sid, shape.doc_id(c.sid), DOCUMENT, "document_updated", None, None, shape.document(c, last)
    )


# --- messages (the caller holds the conversation's row lock) -----------------------------------


async def message_added(tx: Tx, conv: Conversation, m: Message, now: str) -> None:
    """The list item, and the document with its new `lastMessage` (docs/decisions.md #136)."""
    item = _list(m.account_sid, shape.msgs_id(m.conversation_sid), "list_item_added", m.index, shape.message_item(m))
    await repo.insert(tx, [item, _document(conv, (m.index, m.date_created))], now)


async def message_updated(tx: Tx, m: Message, now: str) -> None:
    item = _list(m.account_sid, shape.msgs_id(m.conversation_sid), "list_item_updated", m.index, shape.message_item(m))
    await repo.insert(tx, [item], now)


async def message_removed(tx: Tx, conv: Conversation, m: Message, now: str) -> None:
    """After the delete: the document too when the newest message went (`lastMessage` moved back)."""
    events = [_list(m.account_sid, shape.msgs_id(conv.sid), "list_item_removed", m.index, None)]
    last = await reads.newest_message(tx, conv.sid)
    if last is None or last[0] < m.index:
        events.append(_document(conv, last))
    await repo.insert(tx, events, now)


# --- conversations (row locked) -----------------------------------------------------------------


async def conversation_updated(tx: Tx, conv: Conversation, now: str) -> None:
    """Attributes, names, state (by a request or a timer): the whole document."""
    await repo.insert(tx, [_document(conv, await reads.newest_message(tx, conv.sid))], now)


async def conversation_removing(tx: Tx, conv: Conversation, now: str) -> None:
    """BEFORE the delete (the participants go with it): the three objects are removed, and the
    conversation leaves each member's my-conversations map."""
    members = await reads.members(tx, conv.sid)
    await reads.hold_users(tx, [reads.user_key(conv.chat_service_sid, identity) for _, identity in members])
    a = conv.account_sid
    events = [
        NewEvent(a, shape.doc_id(conv.sid), DOCUMENT, "document_removed", None, None, None),
        NewEvent(a, shape.msgs_id(conv.sid), LIST, "list_removed", None, None, None),
        NewEvent(a, shape.roster_id(conv.sid), MAP, "map_removed", None, None, None),
        *(_map(a, shape.convs_id(user), "map_item_removed", conv.sid, None) for user, _ in members),
    ]
    await repo.insert(tx, events, now)


# --- participants (conversation row locked, then the participant's) ---------------------------


async def participant_added(tx: Tx, p: Participant, now: str) -> None:
    events = [_map(p.account_sid, shape.roster_id(p.conversation_sid), "map_item_added", p.sid, shape.roster_item(p))]
    if p.user_sid is not None:  # the user's lock: taken by participants.add before the user row
        events.append(
            _map(p.account_sid, shape.convs_id(p.user_sid), "map_item_added", p.conversation_sid, shape.convs_item(p))
        )
    await repo.insert(tx, events, now)


async def participant_updated(tx: Tx, before: Participant, p: Participant, now: str) -> None:
    """The roster item; the user's my-conversations item only when its fields changed (the read
    horizon, the notification level)."""
    events = [_map(p.account_sid, shape.roster_id(p.conversation_sid), "map_item_updated", p.sid, shape.roster_item(p))]
    convs = shape.convs_item(p)
    if p.user_sid is not None and convs != shape.convs_item(before):
        await reads.hold_users(tx, [_key(p)])
        events.append(_map(p.account_sid, shape.convs_id(p.user_sid), "map_item_updated", p.conversation_sid, convs))
    await repo.insert(tx, events, now)


async def participants_removed(tx: Tx, gone: list[Participant], now: str) -> None:
    events: list[NewEvent] = []
    await reads.hold_users(tx, [_key(p) for p in gone if p.user_sid is not None])
    for p in gone:
        events.append(_map(p.account_sid, shape.roster_id(p.conversation_sid), "map_item_removed", p.sid, None))
        if p.user_sid is not None:
            events.append(_map(p.account_sid, shape.convs_id(p.user_sid), "map_item_removed", p.conversation_sid, None))
    await repo.insert(tx, events, now)


# --- users --------------------------------------------------------------------------------------


async def hold_user(tx: Tx, u: User) -> None:
    """Before a user's UPDATE or DELETE that writes events of its maps (the lock order above)."""
    await reads.hold_users(tx, [reads.user_key(u.chat_service_sid, u.identity)])


async def user_updated(tx: Tx, before: User, u: User, now: str) -> None:
    """After the UPDATE (`hold_user` was taken before it): the user-info items that changed."""
    events = []
    if u.friendly_name != before.friendly_name:
        events.append(
            _map(u.account_sid, shape.info_id(u.sid), "map_item_updated", "friendlyName", {"value": u.friendly_name})
        )
    if u.attributes != before.attributes:
        events.append(
            _map(u.account_sid, shape.info_id(u.sid), "map_item_updated", "attributes", {"value": u.attributes})
        )
    await repo.insert(tx, events, now)


async def user_deleting(tx: Tx, u: User) -> list[Participant]:
    """BEFORE the delete: the participants that go with the user, their conversations locked (id
    order), then the user's lock. Hand them to `user_deleted` after the DELETE. (A participant
    added after this read goes with the user without a roster event: a join racing the user's
    deletion.)"""
    gone = await reads.participants_of_user(tx, u.sid)
    await reads.lock_conversations(tx, sorted({p.conversation_sid for p in gone}))
    await hold_user(tx, u)
    return gone


async def user_deleted(tx: Tx, u: User, gone: list[Participant], now: str) -> None:
    """AFTER the delete: the participants leave their rosters, and the user's two maps are removed."""
    events: list[NewEvent] = [
        _map(p.account_sid, shape.roster_id(p.conversation_sid), "map_item_removed", p.sid, None) for p in gone
    ]
    events.append(NewEvent(u.account_sid, shape.convs_id(u.sid), MAP, "map_removed", None, None, None))
    events.append(NewEvent(u.account_sid, shape.info_id(u.sid), MAP, "map_removed", None, None, None))
    await repo.insert(tx, events, now)


async def reachability(tx: Tx, user: User, online: bool, notifiable: bool, now: str) -> None:
    """For the realtime socket: a user's first connection opened or last one closed."""
    await hold_user(tx, user)
    data = {"online": online, "notifiable": notifiable}
    event = _map(user.account_sid, shape.info_id(user.sid), "map_item_updated", "reachability", data)
    await repo.insert(tx, [event], now)


async def hold_identities(tx: Tx, service_sid: str, identities: list[str]) -> None:
    """Take the user locks of several identities at once, in sorted order, before a change that
    writes events of each (ConversationWithParticipants): one at a time, in the request's order,
    two such changes naming the same users in another order would deadlock."""
    await reads.hold_users(tx, [reads.user_key(service_sid, i) for i in identities])


def _key(p: Participant) -> str:
    assert p.identity is not None  # a chat participant (it has a user)
    return reads.user_key(p.chat_service_sid, p.identity)
