"""Twilio's Keys resource on its 2010 API: `/2010-04-01/Accounts/{AccountSid}/Keys.json` (create,
list) and `/2010-04-01/Accounts/{AccountSid}/Keys/{Sid}.json` (fetch, update, delete).

The 2010 API's conventions, as twilio-python's `client.api` reads them: `.json` paths, RFC 2822
dates, and its own list envelope (`first_page_uri`, `next_page_uri`, `page`, `page_size`, `start`,
`end`, `uri`, with URIs relative to the API's base URL). The secret is in the answer to a create
and in no other answer. Keys are managed with the account's auth token only (docs/decisions.md #103),
and the path's account must be the authenticated one (#104).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.core.pagination import make_token, parse_page_request
from chinwag.domain import api_keys
from chinwag.domain.models import ApiKey
from chinwag.http.context import Ctx, endpoint
from chinwag.http.render import json_response, no_content
from chinwag.http.routing import by_method

BASE = "/2010-04-01/Accounts/{AccountSid}/Keys"
_INT64_MAX = 2**63 - 1


def rfc2822(stored: str) -> str:
    """`2026-12-03T18:00:00Z` (as stored) → `Thu, 03 Dec 2026 18:00:00 +0000` (the 2010 API's dates)."""
    moment = datetime.strptime(stored, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return format_datetime(moment)


def to_wire(key: ApiKey) -> dict[str, Any]:
    return {
        "sid": key.sid,
        "friendly_name": key.friendly_name,
        "date_created": rfc2822(key.date_created),
        "date_updated": rfc2822(key.date_updated),
    }


async def _own_account(ctx: Ctx) -> None:
    """Keys are managed with the auth token (a key cannot mint or remove keys), and only the
    authenticated account's: another account's path is not found, whether it exists or not."""
    _, key_sid = await ctx.state.auth.principal(ctx.request.headers.get("authorization"))
    if key_sid is not None:
        raise TwilioError(ErrorCode.KEYS_NEED_AUTH_TOKEN)
    if ctx.param("AccountSid") != ctx.account_sid:
        raise TwilioError(ErrorCode.NOT_FOUND, path=ctx.path)


@endpoint
async def create(ctx: Ctx) -> Response:
    await _own_account(ctx)
    form = await ctx.form()
    async with ctx.db.write() as tx:
        key, secret = await api_keys.create(tx, ctx.deps, ctx.account_sid, form.get("FriendlyName"))
    return json_response({**to_wire(key), "secret": secret}, 201)


@endpoint
async def read(ctx: Ctx) -> Response:
    await _own_account(ctx)
    list_id = f"keys:{ctx.account_sid}"
    req = parse_page_request(ctx.query(), list_id)
    async with ctx.db.read() as tx:
        page = await api_keys.page(tx, ctx.account_sid, req)
    path: str = ctx.request.scope["path"]
    head = f"{path}?PageSize={req.size}&Page="
    current = None
    if req.after is not None:
        current = make_token(list_id, "A", req.after)
    elif req.before is not None:
        current = make_token(list_id, "B", req.before)
    next_uri = None
    if page.has_next and page.last_key is not None:
        next_uri = f"{head}{req.page + 1}&PageToken={make_token(list_id, 'A', page.last_key)}"
    previous_uri = None
    if page.has_previous and page.first_key is not None:
        previous_uri = f"{head}{max(req.page - 1, 0)}&PageToken={make_token(list_id, 'B', page.first_key)}"
    start = min(req.page * req.size, _INT64_MAX)
    return json_response(
        {
            "keys": [to_wire(k) for k in page.items],
            "end": min(start + max(len(page.items), 1) - 1, _INT64_MAX),
            "first_page_uri": f"{head}0",
            "next_page_uri": next_uri,
            "page": req.page,
            "page_size": req.size,
            "previous_page_uri": previous_uri,
            "start": start,
            "uri": f"{head}{req.page}" if current is None else f"{head}{req.page}&PageToken={current}",
        }
    )


@endpoint
async def fetch(ctx: Ctx) -> Response:
    await _own_account(ctx)
    async with ctx.db.read() as tx:
        key = await api_keys.fetch(tx, ctx.account_sid, ctx.param("Sid"), ctx.path)
    return json_response(to_wire(key))


@endpoint
async def update(ctx: Ctx) -> Response:
    await _own_account(ctx)
    form = await ctx.form()
    async with ctx.db.write() as tx:
        key = await api_keys.rename(tx, ctx.deps, ctx.account_sid, ctx.param("Sid"), ctx.path, form.get("FriendlyName"))
    return json_response(to_wire(key))


@endpoint
async def delete(ctx: Ctx) -> Response:
    await _own_account(ctx)
    async with ctx.db.write() as tx:
        await api_keys.delete(tx, ctx.account_sid, ctx.param("Sid"), ctx.path)
    # This process stops accepting the key now; the others when they see the credentials epoch move.
    ctx.state.auth.forget()
    return no_content()


def routes() -> list[Route]:
    return [
        Route(BASE + ".json", by_method(GET=read, POST=create), methods=["GET", "POST"]),
        Route(
            BASE + "/{Sid}.json", by_method(GET=fetch, POST=update, DELETE=delete), methods=["GET", "POST", "DELETE"]
        ),
    ]
