"""Keyset paging over one integer column, shared by every list (see core/pagination.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from chinwag.core.pagination import PageRequest
from chinwag.domain.models import Page
from chinwag.storage.db import Row, Tx

T = TypeVar("T")


async def keyset_page(
    tx: Tx,
    select: str,
    where: str,
    args: tuple[Any, ...],
    req: PageRequest,
    build: Callable[[Row], T],
    *,
    key: str = "id",
    row_key: str | int | None = None,
    descending: bool = False,
) -> Page[T]:
    """`SELECT … WHERE <where> [AND key beyond the token] ORDER BY key LIMIT size+1`.

    The extra row tells whether another page exists without counting. A "before" token (previous
    page) walks the other way and flips the rows back, so every page reads in list order.
    `row_key` names the key's column in the result rows when it differs from `key` (a join alias);
    an int is its position, and then rows come as plain tuples (`Tx.values`), cheaper per row for
    a `build` that reads by position.
    """
    column = key if row_key is None else row_key
    fetch = tx.values if isinstance(column, int) else tx.all

    def page_of(rows: list[Row], has_next: bool, has_previous: bool) -> Page[T]:
        first, last = (rows[0][column], rows[-1][column]) if rows else (None, None)
        return Page([build(r) for r in rows], has_next, has_previous, first, last)

    forward_cmp, backward_cmp = (">", "<") if not descending else ("<", ">")
    forward_order, backward_order = ("ASC", "DESC") if not descending else ("DESC", "ASC")
    limit = req.size + 1
    if req.before is not None:
        sql = f"{select} WHERE {where} AND {key} {backward_cmp} ? ORDER BY {key} {backward_order} LIMIT ?"
        rows = await fetch(sql, *args, req.before, limit)
        has_previous = len(rows) > req.size
        rows = rows[: req.size]
        rows.reverse()
        return page_of(rows, has_next=True, has_previous=has_previous)
    if req.after is not None:
        sql = f"{select} WHERE {where} AND {key} {forward_cmp} ? ORDER BY {key} {forward_order} LIMIT ?"
        rows = await fetch(sql, *args, req.after, limit)
    else:
        sql = f"{select} WHERE {where} ORDER BY {key} {forward_order} LIMIT ?"
        rows = await fetch(sql, *args, limit)
    has_next = len(rows) > req.size
    return page_of(rows[: req.size], has_next=has_next, has_previous=req.after is not None)
