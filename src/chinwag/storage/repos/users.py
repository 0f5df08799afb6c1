"""Users (US): looked up by SID or by identity, both unique per service."""

from __future__ import annotations

from chinwag.core.pagination import PageRequest
from chinwag.core.sids import SidPrefix, looks_like
from chinwag.domain.models import Page, User
from chinwag.domain.user_record import RECORD_VERSION, record_json
from chinwag.storage.db import Row, Tx
from chinwag.storage.dialect import ReferenceGone
from chinwag.storage.repos.paging import keyset_page

_COLUMNS = (
    "id, sid, account_sid, chat_service_sid, identity, friendly_name, attributes, role_sid, date_created, date_updated"
)
_SELECT = f"SELECT {_COLUMNS} FROM users"
_BY_SID = f"{_SELECT} WHERE sid = ? AND chat_service_sid = ?"
_BY_IDENTITY = f"{_SELECT} WHERE identity = ? AND chat_service_sid = ?"


def _user(row: Row) -> User:
    # By position: every query here selects _COLUMNS, in User's field order. A sqlite3.Row looked up
    # by name compares the name against each column in turn; a list page would do it 500 times.
    return User(*row)


# The hot fetch resolves the URL's service in the same statement: the short form's default service
# by subquery, the long form's by the user's own account column (a service of another account
# finds nothing). One round trip instead of two.
_IN_DEFAULT = " AND chat_service_sid = (SELECT default_chat_service_sid FROM account_configs WHERE account_sid = ?)"
_IN_SERVICE = " AND chat_service_sid = ? AND account_sid = ?"
_FIND_IN = {
    (by_sid, short): f"{_SELECT} WHERE {'sid' if by_sid else 'identity'} = ?{_IN_DEFAULT if short else _IN_SERVICE}"
    for by_sid in (True, False)
    for short in (True, False)
}


# The REST fetch also says whether the user's service has reachability on (realtime `is_online`),
# in the same statement: a fetch where it is off (most) costs no second query. The service is
# named as in the user's own condition (the URL's, or the account's default).
_REACHABLE_IN = {
    True: ", (SELECT c.reachability_enabled FROM service_configs c WHERE c.chat_service_sid ="
    " (SELECT default_chat_service_sid FROM account_configs WHERE account_sid = ?))",
    False: ", (SELECT c.reachability_enabled FROM service_configs c WHERE c.chat_service_sid = ?)",
}
_FIND_IN_REACHABLE = {
    (by_sid, short): sql.replace(" FROM users", _REACHABLE_IN[short] + " FROM users", 1)
    for (by_sid, short), sql in _FIND_IN.items()
}


async def find_in_reachable(
    tx: Tx, account_sid: str, service_sid: str | None, sid_or_identity: str
) -> tuple[User, bool] | None:
    """By SID or identity, in the account's default service (None) or in `service_sid` if it is the
    account's; and whether that service has ReachabilityEnabled."""
    sql = _FIND_IN_REACHABLE[looks_like(sid_or_identity, SidPrefix.USER), service_sid is None]
    if service_sid is None:
        row = await tx.one(sql, account_sid, sid_or_identity, account_sid)
    else:
        row = await tx.one(sql, service_sid, sid_or_identity, service_sid, account_sid)
    return None if row is None else (_user(tuple(row)[:-1]), bool(row[-1]))


async def find(tx: Tx, service_sid: str, sid_or_identity: str) -> User | None:
    """By SID when the value has a User SID's shape (identities may not), else by identity."""
    sql = _BY_SID if looks_like(sid_or_identity, SidPrefix.USER) else _BY_IDENTITY
    row = await tx.one(sql, sid_or_identity, service_sid)
    return None if row is None else _user(row)


_INSERT = (
    "INSERT INTO users (sid, account_sid, chat_service_sid, identity, friendly_name, attributes, role_sid,"
    " date_created, date_updated, record_json, record_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _insert_values(user: User) -> tuple[str | int | None, ...]:
    return (
        user.sid,
        user.account_sid,
        user.chat_service_sid,
        user.identity,
        user.friendly_name,
        user.attributes,
        user.role_sid,
        user.date_created,
        user.date_updated,
        record_json(user),
        RECORD_VERSION,
    )


async def insert(tx: Tx, user: User, *, alone: bool = False) -> User:
    """`alone`: the insert is all the transaction writes (`Tx.solo`: one round trip on PostgreSQL)."""
    sql = f"{_INSERT} RETURNING {_COLUMNS}"
    row = await (tx.solo(sql, *_insert_values(user)) if alone else tx.one(sql, *_insert_values(user)))
    assert row is not None
    return _user(row)


async def update(tx: Tx, user: User) -> User:
    row = await tx.one(
        "UPDATE users SET friendly_name = ?, attributes = ?, role_sid = ?, date_updated = ?,"
        f" record_json = ?, record_version = ? WHERE sid = ? RETURNING {_COLUMNS}",
        user.friendly_name,
        user.attributes,
        user.role_sid,
        user.date_updated,
        record_json(user),
        RECORD_VERSION,
        user.sid,
    )
    assert row is not None
    return _user(row)


# The stored record when it has this code's shape, else NULL (rendered again from the columns).
_PAGE_RECORDS = f"SELECT id, sid, CASE WHEN record_version = {RECORD_VERSION:d} THEN record_json END FROM users"


async def page_records(tx: Tx, service_sid: str, req: PageRequest) -> Page[tuple[str, str]]:
    """(SID, stored record) per user of the page: one short row each (see domain/user_record.py)."""
    page = await keyset_page(
        tx, _PAGE_RECORDS, "chat_service_sid = ?", (service_sid,), req, lambda row: (row[1], row[2]), row_key=0
    )
    stale = [sid for sid, record in page.items if record is None]
    if stale:  # written before this shape (or before records were stored): rare, and only until rewritten
        marks = ", ".join("?" * len(stale))
        rows = await tx.values(f"{_SELECT} WHERE sid IN ({marks})", *stale)
        fresh = {row[1]: record_json(_user(row)) for row in rows}
        page.items = [(sid, record if record is not None else fresh[sid]) for sid, record in page.items]
    return page


async def delete(tx: Tx, sid: str) -> None:
    await tx.run("DELETE FROM users WHERE sid = ?", sid)


_INSERT_IF_ABSENT = f"{_INSERT} ON CONFLICT (chat_service_sid, identity) DO NOTHING RETURNING {_COLUMNS}"
# PostgreSQL (SQLite has no data-modifying WITH): the new row, or the one already there.
_INSERT_OR_FIND = (
    f"WITH made AS ({_INSERT_IF_ABSENT}) SELECT {_COLUMNS} FROM made"
    f" UNION ALL SELECT {_COLUMNS} FROM users WHERE identity = ? AND chat_service_sid = ? LIMIT 1"
)


async def insert_if_absent(tx: Tx, user: User) -> User:
    """The user with this identity in the service, created with these values if there is none.
    Safe under concurrency: the unique constraint decides, and the loser reads the winner's row.

    On PostgreSQL the row that made the insert stand back can be deleted (and committed) before the
    read that follows, which then finds nothing: the insert is tried again. Should concurrent
    deletes win every time, the request gives up as for any row deleted under it."""
    values = _insert_values(user)
    for _ in range(3):
        if tx.engine == "postgresql":
            # One round trip: the insert, or else the row that stood in its way. A row committed
            # after this statement began (a concurrent create it waited for) is not in its snapshot:
            # no row, and the next turn finds it.
            row = await tx.one(_INSERT_OR_FIND, *values, user.identity, user.chat_service_sid)
        else:
            row = await tx.one(_INSERT_IF_ABSENT, *values)
            if row is None:
                row = await tx.one(_BY_IDENTITY, user.identity, user.chat_service_sid)
        if row is not None:
            return _user(row)
    raise ReferenceGone(f"user {user.identity!r} deleted concurrently, again and again")
