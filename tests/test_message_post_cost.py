"""The message post's cost for delivery receipts, counted in SQL statements (SQLite's trace): a
chat-only conversation pays nothing for them (docs/decisions.md #110, ARCHITECTURE.md), and a
conversation with SMS participants pays one read and one insert, however many there are."""

from __future__ import annotations

import asyncio
from pathlib import Path

from chinwag import bootstrap
from chinwag.core.clock import OffsetClock
from chinwag.core.sids import SidFactory
from chinwag.domain import chat_services, conversations, messages, participants
from chinwag.domain.conversations import ConversationInput
from chinwag.domain.deps import Deps
from chinwag.domain.messages import MessageInput
from chinwag.domain.participants import ParticipantInput
from chinwag.storage import migrate
from chinwag.storage.sqlite_tx import SqliteTx, connect_sqlite


def _statements_of_posts(tmp_path: Path, sms_participants: int) -> list[str]:
    tmp_path.mkdir()
    url = f"sqlite:///{tmp_path / 'cost.db'}"
    migrate.upgrade(url)
    account_sid, _ = bootstrap.create_account(url)
    conn = connect_sqlite(str(tmp_path / "cost.db"))
    tx = SqliteTx(conn)
    deps = Deps(OffsetClock(0), SidFactory())
    seen: list[str] = []

    async def run() -> None:
        conn.execute("BEGIN IMMEDIATE")
        scope = await chat_services.resolve_scope(tx, account_sid, None, "")
        conv = await conversations.create(tx, deps, scope, ConversationInput())
        await participants.add(tx, deps, scope, conv, ParticipantInput(identity="agent"))
        for n in range(sms_participants):
            phone = ParticipantInput(address=f"+1555000{n:04d}", proxy_address="+15559990000")
            await participants.add(tx, deps, scope, conv, phone)
        locked = await conversations.fetch(tx, scope, conv.sid, "", lock=True)
        conn.set_trace_callback(seen.append)
        await messages.post(tx, deps, locked, MessageInput(author="agent", body="hi"))
        conn.set_trace_callback(None)
        conn.execute("COMMIT")

    asyncio.run(run())
    conn.close()
    return seen


def test_a_chat_only_post_pays_nothing_for_receipts(tmp_path: Path) -> None:
    chat_only = _statements_of_posts(tmp_path / "a", 0)
    assert not any("delivery_receipts" in s or "binding_address" in s for s in chat_only), chat_only
    with_phones = _statements_of_posts(tmp_path / "b", 5)
    # One read of the binding participants and one insert of all five receipts, nothing more.
    assert len(with_phones) == len(chat_only) + 2, (chat_only, with_phones)
    assert sum("INSERT INTO delivery_receipts" in s for s in with_phones) == 1


def test_a_post_writes_its_realtime_events_in_one_statement(tmp_path: Path) -> None:
    """The list item and the document's new lastMessage: one multi-row INSERT, and no read of the
    log or of anything else for it (docs/decisions.md #136)."""
    statements = _statements_of_posts(tmp_path / "c", 0)
    touching = [s for s in statements if "realtime_events" in s]
    assert len(touching) == 1 and touching[0].startswith("INSERT INTO realtime_events"), touching
    assert touching[0].count("(?, ?, ?, ?, ?, ?, ?, ?)") == 0  # the trace shows values: two rows
    assert touching[0].count("'list_item_added'") == 1 and touching[0].count("'document_updated'") == 1
