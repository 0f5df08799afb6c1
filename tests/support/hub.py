"""What the realtime hub's tests drive it with (tests/test_realtime_hub_idle.py,
tests/test_realtime_handover.py): a connection that records what was pushed to it, and a count
of the hub's reads of the event log."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from chinwag.domain.access_tokens import ChatGrant
from chinwag.realtime import log


class RecordingSocket:
    """What the hub needs of a connection (realtime/session.py's Connection): who it is, what it
    subscribed to, and a notify that records each pushed event's (id, item index)."""

    def __init__(self) -> None:
        self.grant = ChatGrant("AC1", "SK1", "alice", "IS1", expires_at=0.0, token="")
        self.user_sid = "US1"
        self.subscribed: set[str] = set()
        self.replaying: dict[str, list[Any]] = {}
        self.pushed: list[tuple[int, int]] = []

    def notify(self, message_type: str, payload: bytes) -> None:
        event = orjson.loads(payload)["event"]
        self.pushed.append((event["id"], event["item_index"]))

    @property
    def indexes(self) -> list[int]:
        return [index for _, index in self.pushed]


def counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The tail's cursor at each read of the log from now on (`log.Tail.read`)."""
    reads: list[int] = []
    real_read = log.Tail.read

    async def counting_read(self: log.Tail, db: Any, limit: int = 500) -> list[log.SyncEvent]:
        reads.append(self.cursor)
        return await real_read(self, db, limit)

    monkeypatch.setattr(log.Tail, "read", counting_read)
    return reads
