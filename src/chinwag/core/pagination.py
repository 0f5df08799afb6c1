"""Twilio list paging with opaque keyset tokens (decisions.md #1-#3).

Every list is ordered by one integer key that only grows (a row's insertion sequence, or a
message index). A token names the key of the last row of the previous page ("after") or of the
first row of the next page ("before"), plus a checksum over the list's identity (path scope and
filters), so a token from another list, or one edited by hand, is refused instead of silently
seeking somewhere else. Because the token is a key, not an offset, pages stay stable while rows
are added or removed: no row is served twice, none that existed for the whole walk is skipped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol

from chinwag.core.errors import invalid
from chinwag.core.integers import NotAnInteger, OutOfRange, parse_int

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

_TOKEN = re.compile(r"P([AB])(-?[0-9]{1,19})_([0-9a-f]{12})")  # ASCII digits: docs/decisions.md #39


class Query(Protocol):
    def get(self, name: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class PageRequest:
    size: int
    page: int
    after: int | None = None
    before: int | None = None


def _checksum(list_id: str, direction: str, key: int) -> str:
    return hashlib.sha256(f"{list_id}|{direction}|{key}".encode()).hexdigest()[:12]


def make_token(list_id: str, direction: str, key: int) -> str:
    return f"P{direction}{key}_{_checksum(list_id, direction, key)}"


def _int_param(query: Query, name: str, ceiling: int | None = None) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = parse_int(raw)  # 64-bit: it is echoed in `meta` (docs/decisions.md #39)
    except NotAnInteger:
        raise invalid(f"Invalid value for {name}: must be an integer") from None
    except OutOfRange:
        if ceiling is not None and not raw.startswith("-"):
            return ceiling  # a huge PageSize is clamped like any other above the maximum
        raise invalid(f"Invalid value for {name}: out of range") from None
    return value if ceiling is None else min(value, ceiling)


def parse_page_request(query: Query, list_id: str) -> PageRequest:
    size = _int_param(query, "PageSize", ceiling=MAX_PAGE_SIZE)  # above the maximum: clamped
    if size is None:
        size = DEFAULT_PAGE_SIZE
    elif size < 1:
        raise invalid("Invalid value for PageSize: must be at least 1")
    page = _int_param(query, "Page") or 0
    if page < 0:
        raise invalid("Invalid value for Page: must not be negative")
    token = query.get("PageToken")
    if not token:
        return PageRequest(size, page)
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise invalid("Invalid PageToken")
    direction, key_text, check = match.groups()
    key = int(key_text)
    if not -(2**63) <= key < 2**63 or _checksum(list_id, direction, key) != check:
        raise invalid("Invalid PageToken: it does not belong to this list")
    if direction == "A":
        return PageRequest(size, page, after=key)
    return PageRequest(size, page, before=key)
