"""Emulator mode's rows: per-account clock offsets and the request journal (migration 0008)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chinwag.storage.db import Tx

JOURNAL_LIMIT = 1000  # requests kept per account


async def clock_offset(tx: Tx, account_sid: str) -> float:
    row = await tx.one("SELECT offset_seconds FROM emulator_clocks WHERE account_sid = ?", account_sid)
    return 0.0 if row is None else float(row["offset_seconds"])


async def set_clock_offset(tx: Tx, account_sid: str, offset: float) -> None:
    await tx.run(
        "INSERT INTO emulator_clocks (account_sid, offset_seconds) VALUES (?, ?)"
        " ON CONFLICT (account_sid) DO UPDATE SET offset_seconds = excluded.offset_seconds",
        account_sid,
        offset,
    )


async def lock_clock(tx: Tx, account_sid: str) -> float:
    """The account's offset, its row locked until the transaction ends (created at 0 if missing),
    so two moves of one clock at once add up instead of one overwriting the other."""
    row = await tx.one(
        "INSERT INTO emulator_clocks (account_sid, offset_seconds) VALUES (?, 0)"
        " ON CONFLICT (account_sid) DO UPDATE SET offset_seconds = emulator_clocks.offset_seconds"
        " RETURNING offset_seconds",
        account_sid,
    )
    assert row is not None
    return float(row["offset_seconds"])


async def clock_offsets(tx: Tx) -> list[tuple[str, float]]:
    rows = await tx.all("SELECT account_sid, offset_seconds FROM emulator_clocks ORDER BY account_sid")
    return [(r["account_sid"], float(r["offset_seconds"])) for r in rows]


JOURNAL_FIELDS = ("method", "path", "query", "params", "status", "code", "message", "hint", "date_created")


async def append_requests(tx: Tx, entries: Sequence[tuple[Any, ...]]) -> None:
    """Entries are (account_sid, *JOURNAL_FIELDS); each account keeps its newest JOURNAL_LIMIT."""
    marks = ", ".join("?" for _ in range(len(JOURNAL_FIELDS) + 1))
    sql = f"INSERT INTO emulator_requests (account_sid, {', '.join(JOURNAL_FIELDS)}) VALUES ({marks})"
    for entry in entries:
        await tx.run(sql, *entry)
    for account_sid in {e[0] for e in entries}:
        await tx.run(
            "DELETE FROM emulator_requests WHERE account_sid = ? AND id <= ("
            "SELECT id FROM emulator_requests WHERE account_sid = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
            account_sid,
            account_sid,
            JOURNAL_LIMIT,
        )


async def requests_page(
    tx: Tx, account_sid: str, *, before: int | None, size: int, method: str | None, status: int | None, path: str | None
) -> list[dict[str, Any]]:
    """Newest first; `before` is the id of the last row of the previous page. One row more than
    `size` tells whether a next page exists."""
    where = "account_sid = ?"
    args: list[Any] = [account_sid]
    if before is not None:
        where += " AND id < ?"
        args.append(before)
    if method is not None:
        where += " AND method = ?"
        args.append(method)
    if status is not None:
        where += " AND status = ?"
        args.append(status)
    if path is not None:
        # A prefix match without LIKE's wildcards: the first len(path) characters equal path.
        where += " AND substr(path, 1, ?) = ?"
        args += [len(path), path]
    rows = await tx.all(
        f"SELECT id, {', '.join(JOURNAL_FIELDS)} FROM emulator_requests WHERE {where} ORDER BY id DESC LIMIT ?",
        *args,
        size + 1,
    )
    return [dict(zip(("id", *JOURNAL_FIELDS), tuple(r), strict=True)) for r in rows]
