"""Sync reads (`GET /v3/{Documents,Maps,Lists}/{id}` and their items), projected from chinwag's
tables: no Sync data is stored, only the event log (docs/ARCHITECTURE.md, "The event log and the
Sync projection"; object ids and item shapes: domain/sync_shapes.py).

Every read runs in one read transaction: access first (the token's account owns the object; a
conversation's objects only for its members; `.convs` only the token's own user; `.info` any user
of the token's service), then the object's newest event id, THEN the rows. Read in that order, an
event committed between the two reads has a larger id than the one the items carry, so the client
applies it (at worst twice, harmlessly) instead of dropping it as already seen (realtime/log.py).

Paging (docs/decisions.md #137): `From` (inclusive) + `PageSize` (1 to 100, default 50) + `Order`
(asc|desc), or `Key` (maps) / `Index` (lists) for one item. `meta.previous_token` / `next_token` are
`"true"` when items exist before the first / after the last returned item in the query's
direction, else null: the client pages with `From`, never with the tokens' values.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import orjson

from chinwag.core.integers import parse_int
from chinwag.domain import sync_shapes as shape
from chinwag.domain.models import Conversation, User
from chinwag.storage.db import Database, Tx
from chinwag.storage.repos import conversations as conversation_repo
from chinwag.storage.repos import realtime_events as log_repo
from chinwag.storage.repos import services as service_repo
from chinwag.storage.repos import sync_projection as reads

CDS_BASE = "https://cds.us1.twilio.com"  # the JS client's default cds host (a label in the tunnel)
PAGE_DEFAULT, PAGE_MAX = 50, 100
_PATHS = {"document": "Documents", "map": "Maps", "list": "Lists"}
_NOT_FOUND = {"document": 54100, "list": 54150, "map": 54200}


class Grant(Protocol):
    """What a read needs of a verified access token (domain/access_tokens.ChatGrant has it)."""

    @property
    def account_sid(self) -> str: ...
    @property
    def identity(self) -> str: ...
    @property
    def service_sid(self) -> str: ...


class SyncReadError(Exception):
    """A read refused; the socket answers `status` with Sync's body `{code, message, status}`."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict[str, Any]:
        return {"status": self.status, "code": self.code, "message": self.message}


class NotFound(SyncReadError):
    def __init__(self, object_sid: str, kind: str = "map") -> None:
        super().__init__(404, _NOT_FOUND.get(kind, 54200), f"{kind.capitalize()} {object_sid} not found")


class Forbidden(SyncReadError):
    def __init__(self, identity: str) -> None:
        super().__init__(403, 54007, f"Access forbidden for identity {identity}")


class BadQuery(SyncReadError):
    def __init__(self, message: str) -> None:
        super().__init__(400, 54011, message)


# An item as a source hands it over: (key or index, data, date_updated).
Item = tuple[str | int, Any, str]
# fetch(start inclusive or None, descending, limit) -> items in that order
Fetch = Callable[[str | int | None, bool, int], Awaitable[list[Item]]]


class _Object:
    """One resolved object: what it is, its date, and how to read its items or data."""

    def __init__(self, sid: str, kind: str, date_updated: str) -> None:
        self.sid, self.kind, self.date_updated = sid, kind, date_updated
        self.data: Any = None  # documents
        self.fetch: Fetch | None = None  # maps and lists


async def _user_of(tx: Tx, grant: Grant) -> User | None:
    return await reads.user_by_identity(tx, grant.account_sid, grant.service_sid, grant.identity)


async def _conversation(tx: Tx, grant: Grant, sid: str, kind: str, object_sid: str) -> Conversation:
    conv = await conversation_repo.find(tx, grant.service_sid, sid)
    if conv is None or conv.account_sid != grant.account_sid or conv.sid != sid:
        raise NotFound(object_sid, kind)
    if conv.created_by == grant.identity != "system":  # a client-made one, opened before its creator joins
        return conv
    me = await _user_of(tx, grant)
    if me is None or not await reads.is_member(tx, conv.sid, me.sid):
        raise Forbidden(grant.identity)
    return conv


async def _resolve(tx: Tx, grant: Grant, object_sid: str) -> _Object:
    parts = shape.split(object_sid)
    if parts is None:
        raise NotFound(object_sid)
    owner, which = parts
    kind = shape.KINDS[which]
    if which in (shape.DOC, shape.MSGS, shape.ROSTER):
        conv = await _conversation(tx, grant, owner, kind, object_sid)
        obj = _Object(object_sid, kind, conv.date_updated)
        if which == shape.DOC:
            obj.data = shape.document(conv, await reads.newest_message(tx, conv.sid))
        elif which == shape.MSGS:
            obj.fetch = _messages(tx, conv.sid)
        else:
            obj.fetch = _roster(tx, conv.sid)
        return obj
    user = await reads.user_by_sid(tx, grant.account_sid, grant.service_sid, owner)
    if user is None:
        raise NotFound(object_sid, kind)
    obj = _Object(object_sid, kind, user.date_updated)
    if which == shape.CONVS:
        me = await _user_of(tx, grant)
        if me is None or me.sid != user.sid:
            raise Forbidden(grant.identity)
        obj.fetch = _convs(tx, user.sid)
    else:
        obj.fetch = await _info(tx, user)
    return obj


def _messages(tx: Tx, conversation_sid: str) -> Fetch:
    async def fetch(start: str | int | None, descending: bool, limit: int) -> list[Item]:
        rows = await reads.messages_page(tx, conversation_sid, _index(start), descending, limit)
        return [(m.index, shape.message_item(m), m.date_updated) for m in rows]

    return fetch


def _roster(tx: Tx, conversation_sid: str) -> Fetch:
    async def fetch(start: str | int | None, descending: bool, limit: int) -> list[Item]:
        rows = await reads.roster_page(tx, conversation_sid, _key(start), descending, limit)
        return [(p.sid, shape.roster_item(p), p.date_updated) for p in rows]

    return fetch


def _convs(tx: Tx, user_sid: str) -> Fetch:
    async def fetch(start: str | int | None, descending: bool, limit: int) -> list[Item]:
        rows = await reads.convs_page(tx, user_sid, _key(start), descending, limit)
        return [(p.conversation_sid, shape.convs_item(p), p.date_updated) for p in rows]

    return fetch


async def _info(tx: Tx, user: User) -> Fetch:
    cfg = await service_repo.config(tx, user.chat_service_sid)
    reachability = None
    if cfg is not None and cfg.reachability_enabled:
        stored = await reads.latest_item(tx, user.account_sid, shape.info_id(user.sid), "reachability")
        reachability = orjson.loads(stored) if stored is not None else dict(shape.OFFLINE)
    items = sorted(shape.info_items(user, reachability).items())

    async def fetch(start: str | int | None, descending: bool, limit: int) -> list[Item]:
        chosen = [(k, v, user.date_updated) for k, v in items]
        if descending:
            chosen.reverse()
        if start is not None:
            chosen = [i for i in chosen if (str(i[0]) <= str(start) if descending else str(i[0]) >= str(start))]
        return list[Item](chosen[:limit])

    return fetch


def _index(value: str | int | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    try:
        return parse_int(value, low=0)
    except ValueError:  # NotAnInteger, OutOfRange
        raise BadQuery(f"Invalid list index: {value}") from None


def _key(value: str | int | None) -> str | None:
    return None if value is None else str(value)


def _url(base: str, obj: _Object) -> str:
    return f"{base}/v3/{_PATHS[obj.kind]}/{obj.sid}"


def _item(base: str, obj: _Object, item: Item, last_event_id: int) -> dict[str, Any]:
    key, data, date_updated = item
    shown: dict[str, Any] = {"index": key} if obj.kind == "list" else {"key": key}
    shown.update(
        url=f"{_url(base, obj)}/Items/{key}",
        revision=str(last_event_id),
        last_event_id=last_event_id,
        data=data,
        date_updated=date_updated,
        date_expires=None,
    )
    return shown


async def check_access(db: Database, grant: Grant, object_sid: str) -> str:
    """For a subscription: the object's type (`map`, `list`, `document`) if the token may read it,
    else the same `SyncReadError` a read would raise."""
    async with db.read() as tx:
        return (await _resolve(tx, grant, object_sid)).kind


async def read_object(
    db: Database, grant: Grant, object_sid: str, *, include_items: bool = False, base: str = CDS_BASE
) -> dict[str, Any]:
    """`GET /v3/{Documents,Maps,Lists}/{object_sid}` (`Include=items`: the first page of items too)."""
    async with db.read() as tx:
        last = await log_repo.newest_of(tx, grant.account_sid, object_sid)  # before any row of the object: see above
        obj = await _resolve(tx, grant, object_sid)
        body: dict[str, Any] = {
            "sid": obj.sid,
            "unique_name": obj.sid,
            "url": _url(base, obj),
            "revision": str(last),
            "last_event_id": last,
            "date_updated": obj.date_updated,
            "date_expires": None,
        }
        if obj.fetch is None:
            body["data"] = obj.data
            return body
        body["links"] = {"items": f"{_url(base, obj)}/Items"}
        if include_items:
            body.update(await _page(base, obj, last, {}))
        return body


async def read_items(
    db: Database, grant: Grant, object_sid: str, query: Mapping[str, str], *, base: str = CDS_BASE
) -> dict[str, Any]:
    """`GET {links.items}`: `{items: [...], meta: {previous_token, next_token}}`."""
    async with db.read() as tx:
        last = await log_repo.newest_of(tx, grant.account_sid, object_sid)  # before any row of the object: see above
        obj = await _resolve(tx, grant, object_sid)
        if obj.fetch is None:
            raise NotFound(object_sid, obj.kind)  # a document has no items
        return await _page(base, obj, last, query)


async def _page(base: str, obj: _Object, last: int, query: Mapping[str, str]) -> dict[str, Any]:
    assert obj.fetch is not None
    one = query.get("Index") if obj.kind == "list" else query.get("Key")
    if one is not None:
        start: str | int = _index(one) if obj.kind == "list" else one  # type: ignore[assignment]
        found = [i for i in await obj.fetch(start, False, 1) if i[0] == start]
        return {"items": [_item(base, obj, i, last) for i in found], "meta": _meta(False, False)}
    order = query.get("Order", "asc")
    if order not in ("asc", "desc"):
        raise BadQuery(f"Invalid Order: {order} (asc or desc)")
    size = _page_size(query.get("PageSize"))
    descending = order == "desc"
    raw_from = query.get("From")
    begin: str | int | None = None
    if raw_from is not None:
        begin = _index(raw_from) if obj.kind == "list" else raw_from
    items = await obj.fetch(begin, descending, size + 1)
    more_after = len(items) > size
    items = items[:size]
    more_before = False
    if begin is not None:  # anything strictly before `From`, looking the other way
        more_before = any(i[0] != begin for i in await obj.fetch(begin, not descending, 2))
    return {"items": [_item(base, obj, i, last) for i in items], "meta": _meta(more_before, more_after)}


def _page_size(value: str | None) -> int:
    if value is None or value == "":
        return PAGE_DEFAULT
    try:
        size = parse_int(value)
    except ValueError:  # NotAnInteger, OutOfRange
        raise BadQuery(f"Invalid PageSize: {value}") from None
    if size < 1:
        raise BadQuery(f"Invalid PageSize: {value} (1 to {PAGE_MAX})")
    return min(size, PAGE_MAX)


def _meta(before: bool, after: bool) -> dict[str, str | None]:
    return {"previous_token": "true" if before else None, "next_token": "true" if after else None}
