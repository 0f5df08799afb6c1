"""`realtime_connections` (migration 0015): one row per open realtime socket, for reachability
(chinwag/realtime/presence.py, docs/decisions.md #128)."""

from __future__ import annotations

from dataclasses import dataclass

from chinwag.storage.db import Tx


@dataclass(frozen=True, slots=True)
class Held:
    """A row as the sweep sees it."""

    id: int
    account_sid: str
    service_sid: str
    user_sid: str
    host: str
    pid: int
    lease_until: float


async def insert(
    tx: Tx, account_sid: str, service_sid: str, user_sid: str, process: str, host: str, pid: int, lease_until: float
) -> int:
    row = await tx.one(
        "INSERT INTO realtime_connections (account_sid, chat_service_sid, user_sid, process, host, pid, lease_until)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        account_sid,
        service_sid,
        user_sid,
        process,
        host,
        pid,
        lease_until,
    )
    assert row is not None
    return int(row[0])


async def delete(tx: Tx, ids: list[int]) -> None:
    for row_id in ids:
        await tx.run("DELETE FROM realtime_connections WHERE id = ?", row_id)


async def renew(tx: Tx, process: str, lease_until: float) -> None:
    await tx.run("UPDATE realtime_connections SET lease_until = ? WHERE process = ?", lease_until, process)


async def of_others(tx: Tx, process: str) -> list[Held]:
    rows = await tx.values(
        "SELECT id, account_sid, chat_service_sid, user_sid, host, pid, lease_until FROM realtime_connections"
        " WHERE process <> ?",
        process,
    )
    return [Held(int(r[0]), r[1], r[2], r[3], r[4], int(r[5]), float(r[6])) for r in rows]


async def release_process(tx: Tx, process: str) -> list[tuple[str, str, str]]:
    """Delete a process's rows; the (account, service, user) they belonged to."""
    rows = await tx.values(
        "SELECT DISTINCT account_sid, chat_service_sid, user_sid FROM realtime_connections WHERE process = ?",
        process,
    )
    await tx.run("DELETE FROM realtime_connections WHERE process = ?", process)
    return [(r[0], r[1], r[2]) for r in rows]


async def live(tx: Tx, user_sid: str, now: float) -> int:
    row = await tx.one(
        "SELECT COUNT(*) FROM realtime_connections WHERE user_sid = ? AND lease_until >= ?", user_sid, now
    )
    return int(row[0]) if row is not None else 0


async def reachability(tx: Tx, account_sid: str, service_sid: str, info_id: str) -> tuple[bool, str | None]:
    """(the service's ReachabilityEnabled, the user-info map's newest `reachability` data) in one
    query: REST's user fetch pays one round trip for it."""
    row = await tx.one(
        "SELECT c.reachability_enabled, (SELECT e.data FROM realtime_events e WHERE e.account_sid = ?"
        " AND e.object_sid = ? AND e.item_key = 'reachability' ORDER BY e.id DESC LIMIT 1)"
        " FROM service_configs c WHERE c.chat_service_sid = ?",
        account_sid,
        info_id,
        service_sid,
    )
    if row is None:
        return False, None
    return bool(row[0]), None if row[1] is None else str(row[1])
