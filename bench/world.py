"""The conversations world behind the UserConversations and Messages scenarios (issue 3).

`fill(tx, deps, scope, memberships)` makes a database whose participants table holds exactly
`memberships` rows, in three parts:

- **hot**: 60 conversations with 16 members each and 1,050 messages each. 8 *busy* readers have
  read only message 0 (1,049 unread in every conversation, shown as 1000); 8 *idle* readers have
  read everything (0 unread). Same conversations, same page shape: only the read horizon differs.
- **chat**: 100 conversations of 4 members each, one message, every member's horizon on it, for
  the message-posting scenario (each new message bumps 4 unread counts).
- **filler**: everything else. Users `bench-member-NNNNNN` in 60 conversations each (a few in 61
  when the total does not divide), conversations of 10 members. Membership slot k is conversation
  k // 10 and user k % U, so each user's participant rows lie U rows apart: a user's page reads
  rows scattered over the whole table, as in a database filled over time.

Everything is made by chinwag's domain calls (`users.create`, `conversations.create`,
`participants.add`, `messages.post`, `read_state.apply`) except the filler participants, which at
10^6 rows would take minutes that way (~10 queries each). Those are inserted by bulk SQL built from
a template that `participants.add` made for the first filler slot: every other row is that row with
its own SID, conversation (`conversation_sid` and `conversation_id`), user, identity and dates, which
is all that `participants.add` varies for an identity participant added without parameters (role
from the service configuration, no horizon, `unread_count` 0, level `default`, binding columns
NULL). The row ids therefore keep insertion order, and the indexes hold exactly what the domain path
would have put there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chinwag.core.sids import SidPrefix
from chinwag.domain import conversations, messages, participants, read_state, users
from chinwag.domain.conversations import ConversationInput
from chinwag.domain.deps import Deps
from chinwag.domain.messages import MessageInput
from chinwag.domain.models import Conversation, Participant, Scope
from chinwag.domain.participants import ParticipantInput
from chinwag.storage.db import Tx
from chinwag.storage.repos import conversations as conversation_repo
from chinwag.storage.repos import participants as participant_repo

HOT_CONVERSATIONS = 60
HOT_MESSAGES = 1_050
BUSY_READERS = 8
IDLE_READERS = 8
CHATS = 100
CHAT_MEMBERS = 4
FILLER_PER_USER = 60
FILLER_PER_CONVERSATION = 10
SAMPLE_MEMBERS = 64  # filler users the scale scenarios ask for, spread evenly over all of them
FIXED = HOT_CONVERSATIONS * (BUSY_READERS + IDLE_READERS) + CHATS * CHAT_MEMBERS
MIN_MEMBERSHIPS = FIXED + FILLER_PER_USER * FILLER_PER_CONVERSATION
BULK_ROWS = 100  # participants per INSERT statement


@dataclass(frozen=True)
class Member:
    sid: str
    identity: str


@dataclass(frozen=True)
class Chat:
    sid: str
    authors: list[str]  # identities of its participants


@dataclass(frozen=True)
class World:
    busy: list[Member]  # ≥1,000 unread in each of their 60 conversations
    idle: list[Member]  # 0 unread in the same 60 conversations
    members: list[Member]  # filler users (60+ conversations each), spread over the table
    chats: list[Chat]


def _identity(kind: str, n: int) -> str:
    return f"bench-{kind}-{n:06d}@example.com"


def filler_users(memberships: int) -> int:
    return (memberships - FIXED) // FILLER_PER_USER


async def fill(tx: Tx, deps: Deps, scope: Scope, memberships: int) -> None:
    if memberships < MIN_MEMBERSHIPS:
        raise ValueError(f"at least {MIN_MEMBERSHIPS:,} memberships")
    await tx.run("PRAGMA cache_size = -1000000")  # this connection only: ~1 GB, for the bulk part
    await _hot(tx, deps, scope)
    await _chats(tx, deps, scope)
    await _filler(tx, deps, scope, memberships - FIXED)


async def _conversation(tx: Tx, deps: Deps, scope: Scope, unique_name: str | None = None) -> Conversation:
    return await conversations.create(tx, deps, scope, ConversationInput(unique_name=unique_name))


async def _join(tx: Tx, deps: Deps, scope: Scope, conv: Conversation, identity: str) -> Participant:
    return await participants.add(tx, deps, scope, conv, ParticipantInput(identity=identity))


async def _post(tx: Tx, deps: Deps, scope: Scope, conv_sid: str, author: str, n: int) -> None:
    conv = await conversations.fetch(tx, scope, conv_sid, "/bench", lock=True)
    await messages.post(tx, deps, conv, MessageInput(author=author, body=f"Message {n} from {author}"))


async def _hot(tx: Tx, deps: Deps, scope: Scope) -> None:
    busy = [_identity("busy", n) for n in range(BUSY_READERS)]
    idle = [_identity("idle", n) for n in range(IDLE_READERS)]
    for identity in busy + idle:
        await users.create(tx, deps, scope, identity, friendly_name=identity.split("@")[0])
    for c in range(HOT_CONVERSATIONS):
        conv = await _conversation(tx, deps, scope, f"bench-hot-{c:03d}")
        joined = [await _join(tx, deps, scope, conv, identity) for identity in busy + idle]
        for n in range(HOT_MESSAGES):
            await _post(tx, deps, scope, conv.sid, idle[n % IDLE_READERS], n)
        for p in joined:
            horizon = "0" if p.identity in busy else str(HOT_MESSAGES - 1)
            await read_state.apply(tx, deps, p, horizon=horizon)


async def _chats(tx: Tx, deps: Deps, scope: Scope) -> None:
    for c in range(CHATS):
        conv = await _conversation(tx, deps, scope, f"bench-chat-{c:03d}")
        members = [_identity("chat", c * CHAT_MEMBERS + m) for m in range(CHAT_MEMBERS)]
        joined = []
        for identity in members:
            await users.create(tx, deps, scope, identity)
            joined.append(await _join(tx, deps, scope, conv, identity))
        await _post(tx, deps, scope, conv.sid, members[0], 0)
        for p in joined:
            await read_state.apply(tx, deps, p, horizon="0")


async def _filler(tx: Tx, deps: Deps, scope: Scope, slots: int) -> None:
    count = slots // FILLER_PER_USER
    user_sids = []
    for n in range(count):
        user = await users.create(tx, deps, scope, _identity("member", n), friendly_name=f"Member {n:06d}")
        user_sids.append(user.sid)
    convs = [await _conversation(tx, deps, scope) for _ in range(-(-slots // FILLER_PER_CONVERSATION))]
    # Slot 0 through the domain: the template for the rest.
    first = await conversation_repo.find(tx, scope.service_sid, convs[0].sid, lock=True)
    assert first is not None
    template = await _join(tx, deps, scope, first, _identity("member", 0))
    fields = participant_repo.FIELDS
    at = {name: i for i, name in enumerate(fields)}
    base = [getattr(template, name) for name in fields]
    # `participants.insert` also sets these two: no address pair, and the conversation's row id.
    columns = ", ".join((*fields, "binding_key", "conversation_id"))
    width = len(fields) + 2
    one = "(" + ", ".join("?" for _ in range(width)) + ")"
    batch: list[Any] = []
    for k in range(1, slots):
        row = list(base)
        now = deps.now()
        row[at["sid"]] = deps.sid(SidPrefix.PARTICIPANT)
        conv = convs[k // FILLER_PER_CONVERSATION]
        row[at["conversation_sid"]] = conv.sid
        row[at["user_sid"]] = user_sids[k % count]
        row[at["identity"]] = _identity("member", k % count)
        row[at["date_created"]] = row[at["date_updated"]] = now
        batch += row
        batch += (None, conv.seq)
        if len(batch) >= BULK_ROWS * width or k == slots - 1:
            rows = len(batch) // width
            await tx.run(f"INSERT INTO participants ({columns}) VALUES " + ", ".join([one] * rows), *batch)
            batch = []


async def load(tx: Tx, service_sid: str) -> World:
    async def members(kind: str) -> list[Member]:
        rows = await tx.all(
            "SELECT sid, identity FROM users WHERE chat_service_sid = ? AND identity LIKE ? ORDER BY id",
            service_sid,
            f"bench-{kind}-%",
        )
        return [Member(r["sid"], r["identity"]) for r in rows]

    filler = await members("member")
    step = max(1, len(filler) // SAMPLE_MEMBERS)
    chat_users = await members("chat")
    chat_rows = await tx.all(
        "SELECT sid FROM conversations WHERE chat_service_sid = ? AND unique_name LIKE 'bench-chat-%' ORDER BY id",
        service_sid,
    )
    chats = [
        Chat(r["sid"], [m.identity for m in chat_users[c * CHAT_MEMBERS : (c + 1) * CHAT_MEMBERS]])
        for c, r in enumerate(chat_rows)
    ]
    return World(await members("busy"), await members("idle"), filler[::step][:SAMPLE_MEMBERS], chats)
