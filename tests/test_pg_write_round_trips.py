"""Round trips of the hot writes on PostgreSQL, counted at the driver (asyncpg's query logger sees
every statement sent, BEGIN and COMMIT included), so one more statement on the path is caught.

The writes run in-process through the same domain entry points and the same `Database.write()` as
the handlers call (http/resources/messages.py, participants.py, users.py), on a migrated schema;
their HTTP behaviour on both engines is covered by test_messages.py, test_participants.py,
test_users.py and test_concurrency.py. Each write runs twice and the second is counted: the first
prepares its statements (asyncpg caches them per connection).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from chinwag import bootstrap
from chinwag.core.clock import OffsetClock
from chinwag.core.sids import SidFactory
from chinwag.domain import chat_services, conversations, messages, participants, users
from chinwag.domain.conversations import ConversationInput
from chinwag.domain.deps import Deps
from chinwag.domain.messages import MessageInput
from chinwag.domain.models import Scope
from chinwag.domain.participants import ParticipantInput
from chinwag.storage.db import PostgresDatabase, Tx
from chinwag.storage.dialect import postgres_target
from tests.support.servers import pg_schema


class Counter:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def __call__(self, record: Any) -> None:
        self.sent.append(record.query)


async def _counted(db: PostgresDatabase, counter: Counter, work: Callable[[Tx], Awaitable[object]]) -> list[str]:
    await asyncio.sleep(0)  # the logger is called soon after each query: let earlier calls land
    counter.sent.clear()
    async with db.write() as tx:
        await work(tx)
    for _ in range(3):
        await asyncio.sleep(0)
    return list(counter.sent)


def test_hot_writes_take_few_round_trips() -> None:
    with pg_schema() as url:
        account_sid, _ = bootstrap.create_account(url)
        dsn, settings = postgres_target(url)
        deps = Deps(OffsetClock(0), SidFactory())
        counts: dict[str, list[str]] = {}

        async def run() -> None:
            db = PostgresDatabase(dsn, settings, min_size=1, max_size=1)  # one connection: it is logged
            await db.start()
            counter = Counter()
            pool = db._pool
            assert pool is not None
            async with pool.acquire() as conn:
                conn.add_query_logger(counter)
            async with db.write() as tx:
                scope = await _scope(tx, account_sid)
                conv = await conversations.create(tx, deps, scope, ConversationInput())
                other = await conversations.create(tx, deps, scope, ConversationInput())
                sids = [
                    (await participants.add(tx, deps, scope, conv, ParticipantInput(identity=who))).sid
                    for who in ("ann", "bob", "cid")
                ]
            bob = sids[1]

            async def post(tx: Tx) -> None:
                made = await messages.post_plain(tx, deps, account_sid, None, conv.sid, MessageInput("ann", "hi"))
                assert made is not None and made.participant_sid is not None

            newcomers = iter(("dee", "eve"))

            async def add(tx: Tx) -> None:  # as http/resources/participants.py::create
                scope, locked = await conversations.fetch_scoped(tx, account_sid, None, conv.sid, "", lock=True)
                await participants.add(tx, deps, scope, locked, ParticipantInput(identity=next(newcomers)))

            members = iter(("bob", "cid"))  # users already, from `conv`

            async def add_member(tx: Tx) -> None:
                scope, locked = await conversations.fetch_scoped(tx, account_sid, None, other.sid, "", lock=True)
                await participants.add(tx, deps, scope, locked, ParticipantInput(identity=next(members)))

            horizons = iter(("0", "1"))

            async def move(tx: Tx) -> None:  # as http/resources/participants.py::update
                scope, locked = await conversations.fetch_scoped(tx, account_sid, None, conv.sid, "", lock=True)
                moved = await participants.update(
                    tx, deps, scope, locked, bob, "", ParticipantInput(last_read_message_index=next(horizons))
                )
                assert moved.unread_count >= 0

            identities = iter(("u1", "u2"))

            async def create_user(tx: Tx) -> None:  # as http/resources/users.py::create
                await users.create_in(tx, deps, account_sid, None, "", next(identities), alone=True)

            for name, work in (
                ("post", post),
                ("add", add),
                ("add existing", add_member),
                ("move", move),
                ("user", create_user),
            ):
                await _counted(db, counter, work)
                counts[name] = await _counted(db, counter, work)
            await db.close()

        asyncio.run(run())
    # A message post: the one function call of migration 0014, no BEGIN, no COMMIT (8 before).
    assert len(counts["post"]) == 1, counts["post"]
    assert "chinwag_post_message" in counts["post"][0]
    # A user create: scope and default role in one read, then the INSERT alone (5 before).
    assert len(counts["user"]) == 2, counts["user"]
    assert not any(q.strip().upper() in ("BEGIN;", "BEGIN", "COMMIT;", "COMMIT") for q in counts["user"])
    # A participant add (new user): BEGIN, scope + conversation lock, configuration, user, participant,
    # COMMIT (8 before).
    # Plus, since the realtime log (migration 0013): the user's realtime lock (an advisory lock,
    # docs/decisions.md #139) and the one INSERT of the change's realtime events.
    assert len(counts["add"]) == 8, counts["add"]
    # The same for a user that exists already: the user's insert-or-find is one statement (9 before).
    assert len(counts["add existing"]) == 8, counts["add existing"]
    # A horizon move (by participant SID): BEGIN, scope + conversation lock, participant lock, the
    # update with the horizon and its count, the user's realtime lock, the realtime events, COMMIT
    # (8 before).
    assert len(counts["move"]) == 7, counts["move"]


async def _scope(tx: Tx, account_sid: str) -> Scope:
    return await chat_services.resolve_scope(tx, account_sid, None, "")
