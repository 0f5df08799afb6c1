"""The one read-a-list handler: open the list in a read transaction, page it, render the envelope.

Each resource says only what differs — the parent it lists under, the list id its page tokens are
bound to, the domain page function and the renderer — so the token, paging and envelope rules live
in one place (`core/pagination.py` and `render.list_response`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from starlette.responses import Response

from chinwag.core.pagination import PageRequest, parse_page_request
from chinwag.domain.models import Page
from chinwag.http.context import Ctx
from chinwag.http.forms import Params
from chinwag.http.render import list_response
from chinwag.storage.db import Tx

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """One list, opened inside the read transaction (after its scope and parent are found)."""

    list_id: str  # page tokens are bound to it, so a token from another list is refused
    page: Callable[[PageRequest], Awaitable[Page[T]]]
    render: Callable[[T], Any]  # one record of the page -> its wire dict (or orjson.Fragment)


async def read_list(
    ctx: Ctx,
    key: str,
    open_list: Callable[[Tx], Awaitable[Listing[T]]],
    filters: Sequence[tuple[str, str]] = (),
    query: Params | None = None,
) -> Response:
    """`GET` of a list resource: `{key: [...], meta: {...}}` with `filters` carried in the page links.

    `query` is the request's query when the caller has parsed it already (for its filters).
    """
    if query is None:
        query = ctx.query()
    async with ctx.db.read() as tx:
        listing = await open_list(tx)
        req = parse_page_request(query, listing.list_id)
        page = await listing.page(req)
    return list_response(
        url=ctx.list_url,
        key=key,
        records=[*map(listing.render, page.items)],
        page=page,
        req=req,
        list_id=listing.list_id,
        filters=list(filters),
    )
