"""The console's pages: each one authenticates the session, reads one page of data through the
domain layer in one read transaction, and renders a template."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from chinwag.console import activity, session
from chinwag.core.errors import TwilioError
from chinwag.core.pagination import PageRequest
from chinwag.domain import (
    chat_services,
    conversations,
    messages,
    participants,
    read_state,
    user_conversations,
    users,
)
from chinwag.domain.models import Page, Scope
from chinwag.events.deliveries import Filters
from chinwag.http.context import AppState
from chinwag.http.forms import Params

BASE = "/_chinwag/console"
PAGE_SIZE = 50
STATIC = Path(__file__).parent / "static"
STATIC_FILES = {"console.css": "text/css", "console.js": "text/javascript"}

_templates = Environment(
    loader=PackageLoader("chinwag.console", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.globals["base"] = BASE
_templates.filters["q"] = lambda value: quote(str(value), safe="")


class _NotFound(Exception):
    pass


def _render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    response = HTMLResponse(_templates.get_template(name).render(**context), status_code=status)
    # Pages show an account's data: never cached, never framed.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def _key(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name, "")
    if not raw:
        return None
    if not raw.lstrip("-").isdigit() or len(raw) > 19:
        raise _NotFound
    return int(raw)


def _page_request(request: Request) -> PageRequest:
    return PageRequest(PAGE_SIZE, 0, after=_key(request, "after"), before=_key(request, "before"))


def _pager(request: Request, page: Page[Any]) -> dict[str, str | None]:
    """Links to the next and previous pages (keys of the last and first rows), other query
    parameters kept."""
    kept = {k: v for k, v in request.query_params.items() if k not in ("after", "before")}

    def link(**key: Any) -> str:
        return request.url.path + "?" + urlencode({**kept, **key})

    return {
        "next": link(after=page.last_key) if page.has_next and page.last_key is not None else None,
        "previous": link(before=page.first_key) if page.has_previous and page.first_key is not None else None,
    }


Page_ = Callable[[Request, AppState, str], Awaitable[Response]]


def _signed_in(view: Page_) -> Callable[[Request], Awaitable[Response]]:
    """The session's account, or the sign-in form; a missing or foreign resource is a 404 page."""

    async def run(request: Request) -> Response:
        state: AppState = request.app.state.chinwag
        account_sid = await session.account_of(state.db, request.cookies.get(session.COOKIE))
        if account_sid is None:
            return _render("signin.html", status=401, error=None, next=request.url.path)
        try:
            return await view(request, state, account_sid)
        except (_NotFound, TwilioError):
            return _render("not_found.html", status=404, account_sid=account_sid, path=request.url.path)

    run.__name__ = view.__name__
    return run


async def _scope(tx: Any, account_sid: str, request: Request) -> Scope:
    return await chat_services.resolve_scope(tx, account_sid, request.path_params["ServiceSid"], request.url.path)


async def home(request: Request, state: AppState, account_sid: str) -> Response:
    async with state.db.read() as tx:
        page = await chat_services.page(tx, account_sid, _page_request(request))
        default = (await chat_services.resolve_scope(tx, account_sid, None, "")).service_sid
    return _render(
        "services.html", account_sid=account_sid, services=page.items, default=default, pager=_pager(request, page)
    )


async def users_page(request: Request, state: AppState, account_sid: str) -> Response:
    wanted = request.query_params.get("find", "").strip()
    async with state.db.read() as tx:
        scope = await _scope(tx, account_sid, request)
        if wanted:  # by identity or SID: one indexed look-up, then that user's page
            try:
                found = await users.fetch(tx, scope, wanted, "")
            except TwilioError:
                found = None
            if found is not None:
                return RedirectResponse(f"{BASE}/services/{scope.service_sid}/users/{found.sid}", status_code=303)
        page = await users.page(tx, scope, _page_request(request))
    # Each user's stored record (domain/user_record.py), a JSON object left open for the URLs.
    rows = [orjson.loads(record + "}") for _, record in page.items]
    return _render(
        "users.html",
        account_sid=account_sid,
        service_sid=scope.service_sid,
        users=rows,
        find=wanted,
        pager=_pager(request, page),
    )


async def user_page(request: Request, state: AppState, account_sid: str) -> Response:
    async with state.db.read() as tx:
        scope = await _scope(tx, account_sid, request)
        user = await users.fetch(tx, scope, request.path_params["UserSid"], "")
        page = await user_conversations.page(tx, user, _page_request(request))
    return _render(
        "user.html",
        account_sid=account_sid,
        service_sid=scope.service_sid,
        user=user,
        memberships=page.items,
        pager=_pager(request, page),
    )


async def conversations_page(request: Request, state: AppState, account_sid: str) -> Response:
    async with state.db.read() as tx:
        scope = await _scope(tx, account_sid, request)
        page = await conversations.page(tx, scope, _page_request(request), None, None, None)
    return _render(
        "conversations.html",
        account_sid=account_sid,
        service_sid=scope.service_sid,
        conversations=page.items,
        pager=_pager(request, page),
    )


async def conversation_page(request: Request, state: AppState, account_sid: str) -> Response:
    """Its participants (first page) and its messages, newest first, paged."""
    async with state.db.read() as tx:
        scope = await _scope(tx, account_sid, request)
        conv = await conversations.fetch(tx, scope, request.path_params["ConversationSid"], "")
        members = await participants.page(tx, conv, PageRequest(PAGE_SIZE, 0))
        page = await messages.page(tx, conv, _page_request(request), "desc")
    return _render(
        "conversation.html",
        account_sid=account_sid,
        service_sid=scope.service_sid,
        conversation=conv,
        participants=members.items,
        more_participants=members.has_next,
        messages=page.items,
        pager=_pager(request, page),
        unread=read_state.shown,
    )


async def requests_page(request: Request, state: AppState, account_sid: str) -> Response:
    """The request journal (emulator mode), newest first, with each 4xx's hint."""
    q = request.query_params
    method = (q.get("method") or "").upper() or None
    status_text = q.get("status") or ""
    if status_text and not (status_text.isdigit() and len(status_text) == 3):
        raise _NotFound
    path = q.get("path") or None
    rows: list[dict[str, Any]] = []
    older = False
    if activity.journal_kept(state):
        rows, older = await activity.requests(
            state, account_sid, _key(request, "before"), method, int(status_text) if status_text else None, path
        )
    kept = {k: v for k, v in q.items() if k != "before" and v}
    return _render(
        "requests.html",
        account_sid=account_sid,
        kept=activity.journal_kept(state),
        rows=rows,
        filters={"method": method or "", "status": status_text, "path": path or ""},
        older=request.url.path + "?" + urlencode({**kept, "before": rows[-1]["id"]}) if older and rows else None,
    )


async def deliveries_page(request: Request, state: AppState, account_sid: str) -> Response:
    """The webhook delivery log: what was sent where and how it went, each with a replay button."""
    q = request.query_params
    status = q.get("status") or None
    if status is not None and status not in ("pending", "delivered", "failed"):
        raise _NotFound
    filters = Filters(event_type=q.get("event_type") or None, status=status)
    page = await activity.deliveries(state, account_sid, filters, _page_request(request))
    return _render(
        "deliveries.html",
        account_sid=account_sid,
        deliveries=page.items,
        filters={"event_type": filters.event_type or "", "status": status or ""},
        params_of=lambda d: orjson.loads(d.params),
        pager=_pager(request, page),
    )


async def replay(request: Request, state: AppState, account_sid: str) -> Response:
    made = await activity.replay(state, account_sid, request.path_params["Sid"])
    if made is None:
        raise _NotFound
    return RedirectResponse(f"{BASE}/deliveries?replayed={made.sid}", status_code=303)


async def signin(request: Request) -> Response:
    state: AppState = request.app.state.chinwag
    form = Params.parse(await request.body())
    sid = (form.get("AccountSid") or "").strip()
    token = (form.get("AuthToken") or "").strip()
    if not await session.check(state.db, sid, token):
        return _render("signin.html", status=401, error="That account SID and auth token do not match.", next=BASE)
    target = form.get("next") or ""
    response = RedirectResponse(target if target.startswith(BASE + "/") else BASE + "/", status_code=303)
    response.set_cookie(
        session.COOKIE,
        session.issue(sid, token),
        max_age=session.LIFETIME,
        path=BASE,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def signout(_: Request) -> Response:
    response = RedirectResponse(BASE + "/", status_code=303)
    response.delete_cookie(session.COOKIE, path=BASE)
    return response


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in STATIC_FILES:
        return HTMLResponse("not found", status_code=404)
    return FileResponse(STATIC / name, media_type=STATIC_FILES[name], headers={"Cache-Control": "max-age=300"})


async def to_slash(_: Request) -> Response:
    return RedirectResponse(BASE + "/", status_code=308)


def routes() -> list[Route]:
    services = BASE + "/services/{ServiceSid}"
    return [
        Route(BASE, to_slash, methods=["GET"]),
        Route(BASE + "/", _signed_in(home), methods=["GET"]),
        Route(BASE + "/signin", signin, methods=["POST"]),
        Route(BASE + "/signout", signout, methods=["POST"]),
        Route(BASE + "/static/{name}", static, methods=["GET"]),
        Route(BASE + "/requests", _signed_in(requests_page), methods=["GET"]),
        Route(BASE + "/deliveries", _signed_in(deliveries_page), methods=["GET"]),
        Route(BASE + "/deliveries/{Sid}/replay", _signed_in(replay), methods=["POST"]),
        Route(services + "/users", _signed_in(users_page), methods=["GET"]),
        Route(services + "/users/{UserSid}", _signed_in(user_page), methods=["GET"]),
        Route(services + "/conversations", _signed_in(conversations_page), methods=["GET"]),
        Route(services + "/conversations/{ConversationSid}", _signed_in(conversation_page), methods=["GET"]),
    ]
