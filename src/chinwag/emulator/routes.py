"""The control routes under `/_chinwag/v1/` (mounted only in emulator mode). Each takes the
account's HTTP Basic credentials and acts on that account alone; `POST Accounts` takes none."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.pagination import parse_page_request
from chinwag.domain import accounts
from chinwag.domain.models import Page
from chinwag.emulator import clock, snapshot
from chinwag.emulator.journal import read_requests
from chinwag.emulator.mode import Emulator
from chinwag.http.context import AppState
from chinwag.http.forms import Params
from chinwag.http.render import error_response, json_response, list_response, no_content
from chinwag.storage.repos import account_state
from chinwag.storage.repos import accounts as account_repo
from chinwag.storage.repos import emulator as repo

PREFIX = "/_chinwag/v1"
SNAPSHOT_MAX = 256 * 1024 * 1024  # bytes of a snapshot document accepted by PUT

Control = Callable[[Request, str], Awaitable[Response]]


def _guarded(handler: Control) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate as for the API; a TwilioError becomes Twilio's error body."""

    async def run(request: Request) -> Response:
        state: AppState = request.app.state.chinwag
        try:
            account_sid = await state.auth.account_for(request.headers.get("authorization"))
            return await handler(request, account_sid)
        except TwilioError as exc:
            return error_response(exc)

    run.__name__ = handler.__name__
    return run


def _base(request: Request) -> str:
    state: AppState = request.app.state.chinwag
    if state.public_url:
        return state.public_url.rstrip("/")
    return f"{request.url.scheme}://{request.headers.get('host', 'localhost')}"


def control_routes(em: Emulator) -> list[Route]:
    async def create_account(request: Request) -> Response:
        try:
            async with em.db.write() as tx:
                sid, token = await accounts.create(tx, em.deps)
        except TwilioError as exc:
            return error_response(exc)
        return json_response({"account_sid": sid, "auth_token": token}, 201)

    async def reset(request: Request, account_sid: str) -> Response:
        await em.journal.flush()
        async with em.db.write() as tx:
            default = await account_repo.default_service_sid(tx, account_sid)
            await account_state.delete_all(tx, account_sid)
            if default is not None:
                await accounts.recreate_defaults(tx, em.deps, account_sid, default)
        return no_content()

    async def export_snapshot(request: Request, account_sid: str) -> Response:
        async with em.db.read() as tx:
            doc = await snapshot.export(tx, account_sid)
        return Response(snapshot.dumps(doc), 200, media_type="application/json")

    async def import_snapshot(request: Request, account_sid: str) -> Response:
        raw = await _body(request, SNAPSHOT_MAX)
        doc = snapshot.parse(raw)
        async with em.db.write() as tx:
            await snapshot.load(tx, account_sid, doc)
            doc = await snapshot.export(tx, account_sid)
        return Response(snapshot.dumps(doc), 200, media_type="application/json")

    async def read_clock(request: Request, account_sid: str) -> Response:
        async with em.db.read() as tx:
            offset = await repo.clock_offset(tx, account_sid)
        return json_response(clock.describe(em.deps.clock.now(), offset))

    async def move_clock(request: Request, account_sid: str) -> Response:
        form = Params.parse(await _body(request, 64 * 1024))
        server_now = em.deps.clock.now()
        async with em.db.write() as tx:
            offset = clock.new_offset(form, server_now, await repo.lock_clock(tx, account_sid))
            await repo.set_clock_offset(tx, account_sid, offset)
        await em.timer_task.sweep_account(account_sid, offset, wait=True)
        return json_response(clock.describe(server_now, offset))

    async def list_requests(request: Request, account_sid: str) -> Response:
        query = Params.parse(request.scope.get("query_string", b""))
        method = query.get("Method") or None
        status_text = query.get("Status") or None
        if status_text is not None and not (status_text.isascii() and status_text.isdigit() and len(status_text) == 3):
            raise invalid(f"Invalid value for Status: {status_text!r} (an HTTP status such as 404)")
        path = query.get("Path") or None
        filters = query.encoded("Method", "Status", "Path")
        list_id = f"requests|{account_sid}|{filters}"
        req = parse_page_request(query, list_id)
        rows = await read_requests(
            em.db,
            em.journal,
            account_sid,
            before=req.after,
            size=req.size,
            method=method.upper() if method else None,
            status=int(status_text) if status_text else None,
            path=path,
        )
        has_next = len(rows) > req.size
        rows = rows[: req.size]
        page: Page[Any] = Page(rows, has_next, False, rows[0]["id"] if rows else None, rows[-1]["id"] if rows else None)
        return list_response(
            url=_base(request) + PREFIX + "/Requests",
            key="requests",
            records=[_journal_record(r) for r in rows],
            page=page,
            req=req,
            list_id=list_id,
            filters=filters,
        )

    return [
        Route(PREFIX + "/Accounts", create_account, methods=["POST"]),
        Route(PREFIX + "/Reset", _guarded(reset), methods=["POST"]),
        Route(
            PREFIX + "/Snapshot",
            _guarded(_dispatch(GET=export_snapshot, PUT=import_snapshot)),
            methods=["GET", "PUT"],
        ),
        Route(PREFIX + "/Clock", _guarded(_dispatch(GET=read_clock, POST=move_clock)), methods=["GET", "POST"]),
        Route(PREFIX + "/Requests", _guarded(list_requests), methods=["GET"]),
    ]


def _dispatch(**handlers: Control) -> Control:
    async def run(request: Request, account_sid: str) -> Response:
        return await handlers["GET" if request.method == "HEAD" else request.method](request, account_sid)

    return run


async def _body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TwilioError(ErrorCode.TOO_LARGE)
        chunks.append(chunk)
    return b"".join(chunks)


def _journal_record(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": row["method"],
        "path": row["path"],
        "query": row["query"],
        "params": orjson.loads(row["params"]),
        "status": row["status"],
        "code": row["code"],
        "message": row["message"],
        "hint": row["hint"],
        "date_created": row["date_created"],
    }
