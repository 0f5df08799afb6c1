"""JSON responses, Twilio's error body, and the list envelope with absolute `meta` URLs.

twilio-python and twilio-node follow `meta.next_page_url` verbatim, so every URL is absolute and
on this server's own host.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from chinwag.core.errors import TwilioError
from chinwag.core.pagination import PageRequest, make_token
from chinwag.domain.models import Page
from chinwag.http.forms import query_string

JSON = "application/json"
_AUTH_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Twilio API"'}


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type=JSON)


def no_content() -> Response:
    return Response(status_code=204)


def error_response(exc: TwilioError) -> Response:
    headers = _AUTH_CHALLENGE if exc.status == 401 else None
    return Response(orjson.dumps(exc.body()), exc.status, headers=headers, media_type=JSON)


def list_response(
    *,
    url: str,
    key: str,
    records: list[Any],  # dicts, or orjson.Fragment for records rendered ahead
    page: Page[Any],
    req: PageRequest,
    list_id: str,
    filters: list[tuple[str, str]],
) -> Response:
    """`{key: [...], meta: {...}}`, with page links that carry keyset tokens for this list."""

    # Filters are quoted once; sizes, page numbers and tokens (`P[AB]<int>_<hex>`) need no quoting.
    head = f"{url}?{query_string(filters)}&PageSize={req.size}&Page=" if filters else f"{url}?PageSize={req.size}&Page="

    def link(page_no: int, token: str | None) -> str:
        return f"{head}{page_no}" if token is None else f"{head}{page_no}&PageToken={token}"

    current_token = None
    if req.after is not None:
        current_token = make_token(list_id, "A", req.after)
    elif req.before is not None:
        current_token = make_token(list_id, "B", req.before)
    next_url = None
    if page.has_next and page.last_key is not None:
        next_url = link(req.page + 1, make_token(list_id, "A", page.last_key))
    previous_url = None
    if page.has_previous and page.first_key is not None:
        previous_url = link(max(req.page - 1, 0), make_token(list_id, "B", page.first_key))
    meta = {
        "page": req.page,
        "page_size": req.size,
        "first_page_url": link(0, None),
        "previous_page_url": previous_url,
        "url": link(req.page, current_token),
        "next_page_url": next_url,
        "key": key,
    }
    return json_response({key: records, "meta": meta})
