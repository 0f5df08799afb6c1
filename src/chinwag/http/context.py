"""Per-request context and the wrapper every API endpoint goes through.

The wrapper authenticates, hands the handler a `Ctx`, and turns `TwilioError` (and anything
unexpected, logged) into Twilio's error body. Handlers stay thin: parse, call domain, render.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.domain import chat_services, conversations
from chinwag.domain.deps import Deps
from chinwag.domain.models import Conversation, Scope
from chinwag.events import Events, Origin
from chinwag.http.auth import Authenticator
from chinwag.http.forms import Params, check_query_string
from chinwag.http.render import error_response
from chinwag.storage.db import Database, Tx
from chinwag.storage.dialect import ReferenceGone
from chinwag.storage.faults import StorageFault, classify, monitor

log = logging.getLogger("chinwag.http")

# The largest request body read. Twilio's own limits keep a valid form far below it: a message body
# is at most 1,600 characters, attributes at most 16 KiB, a role's permissions a few dozen names.
MAX_BODY = 1024 * 1024
DRAIN_LIMIT = 16 * MAX_BODY
# How long a request body may take to arrive, all of it (docs/decisions.md #52): a stalled body
# held a request (and its connection) for minutes. CHINWAG_BODY_TIMEOUT sets it (config.py).
BODY_TIMEOUT = 30.0
# How many times a transaction that failed before its COMMIT (a PostgreSQL connection terminated
# under it) is run again on a fresh connection before the request is answered 503.
ATTEMPTS = 3


class EmulatorHooks(Protocol):
    """What emulator mode adds to every API request (emulator/mode.py); None outside it, so a
    production request never pays for any of it."""

    async def deps_for(self, account_sid: str) -> Deps: ...
    async def explain(self, ctx: Ctx, error: TwilioError) -> str | None: ...
    def record(self, ctx: Ctx, status: int, error: TwilioError | None, hint: str | None) -> None: ...


@dataclass(frozen=True)
class AppState:
    db: Database
    deps: Deps
    auth: Authenticator
    public_url: str | None
    body_timeout: float = BODY_TIMEOUT
    events: Events | None = None
    emulator: EmulatorHooks | None = None


class Ctx:
    __slots__ = ("_base", "_deps", "_form", "account_sid", "request", "service_sid", "state")

    def __init__(self, request: Request, state: AppState, account_sid: str, deps: Deps | None = None) -> None:
        self.request = request
        self.state = state
        self.account_sid = account_sid
        self.service_sid: str | None = request.path_params.get("ChatServiceSid")
        self._base: str | None = None
        self._deps = deps or state.deps  # emulator mode: the account's own clock
        # Read once: a retried transaction runs the handler again, and the emulator's journal
        # records the parameters after the response.
        self._form: Params | None = None

    @property
    def db(self) -> Database:
        return self.state.db

    @property
    def deps(self) -> Deps:
        return self._deps

    def param(self, name: str) -> str:
        value: str = self.request.path_params[name]
        return value

    @property
    def base(self) -> str:
        """`scheme://host` of this server as the client reached it."""
        if self._base is None:
            if self.state.public_url:
                self._base = self.state.public_url.rstrip("/")
            else:
                host = self.request.headers.get("host", "localhost")
                self._base = f"{_scheme(self.request)}://{host}"
        return self._base

    @property
    def prefix(self) -> str:
        """URL prefix mirroring the form the client used: `/v1` or `/v1/Services/IS…`."""
        if self.service_sid is None:
            return self.base + "/v1"
        return f"{self.base}/v1/Services/{self.service_sid}"

    @property
    def list_url(self) -> str:
        raw: bytes | None = self.request.scope.get("raw_path")
        if raw is None or (b"%" not in raw and raw.isascii()):
            return self.base + self.request.url.path
        # The path as the client sent it: decoding `team%2Fann` would make it `team/ann`, another
        # URL (docs/decisions.md #43). Routing has checked that it is UTF-8.
        return self.base + quote(raw.partition(b"?")[0].decode("utf-8"), safe="/%!$&'()*+,;=:@-._~")

    @property
    def path(self) -> str:
        """The request path without `/v1`, as Twilio's not-found message quotes it."""
        path: str = self.request.scope["path"]
        return path[3:] if path.startswith("/v1/") else path

    def query(self) -> Params:
        return Params.parse(self.request.scope.get("query_string", b""))

    async def form(self) -> Params:
        """The form-encoded body; past MAX_BODY a 413 (docs/decisions.md), and what follows is
        read and dropped, never held: a client cannot make the server keep a body of any size.
        A body that takes longer than the state's body timeout is a 408 (docs/decisions.md #52)."""
        if self._form is None:
            try:
                async with asyncio.timeout(self.state.body_timeout):
                    self._form = await self._read_form()
            except TimeoutError:
                raise TwilioError(ErrorCode.REQUEST_TIMEOUT, seconds=f"{self.state.body_timeout:g}") from None
        return self._form

    async def _read_form(self) -> Params:
        declared = self.request.headers.get("content-length", "")
        # ASCII digits only: "²".isdigit() is true and int("²") raises (docs/decisions.md #39).
        if declared.isascii() and declared.isdigit() and (len(declared) > 12 or int(declared) > DRAIN_LIMIT):
            raise TwilioError(ErrorCode.TOO_LARGE)
        chunks: list[bytes] = []
        size = 0
        async for chunk in self.request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                # Read on without keeping it, so a client still sending hears the 413 rather than a
                # dropped connection; one that sends on and on is cut off.
                if size > DRAIN_LIMIT:
                    break
                continue
            chunks.append(chunk)
        if size > MAX_BODY:
            raise TwilioError(ErrorCode.TOO_LARGE)
        return Params.parse(b"".join(chunks))

    @property
    def form_params(self) -> Params | None:
        """The body's parameters if the handler read them (the emulator's journal)."""
        return self._form

    async def scope(self, tx: Tx) -> Scope:
        return await chat_services.resolve_scope(tx, self.account_sid, self.service_sid, self.path)

    async def conversation(self, tx: Tx, *, lock: bool = False) -> tuple[Scope, Conversation]:
        """The scope and the path's `{ConversationSid}` conversation in one query (`lock`: its row
        lock too), where `scope()` and `conversations.fetch` take two."""
        ref = self.param("ConversationSid")
        return await conversations.fetch_scoped(tx, self.account_sid, self.service_sid, ref, self.path, lock=lock)

    @property
    def events(self) -> Events:
        assert self.state.events is not None
        return self.state.events

    def origin(self) -> Origin | None:
        """Who acts (events/origin.py): None for a plain REST request, which fires nothing."""
        return Events.origin(self.request.headers)

    def webhooks_enabled(self) -> bool:
        """`X-Twilio-Webhook-Enabled: true` asks for webhooks on a REST change (Twilio's docs)."""
        return self.request.headers.get("x-twilio-webhook-enabled", "").lower() == "true"


def _scheme(request: Request) -> str:
    """`request.url.scheme` without building the URL (which parses the Host header and re-splits the
    whole URL, ~10 µs). Starlette's URL takes the scheme from the scope whenever the scope names the
    server; otherwise defer to it."""
    scope = request.scope
    scheme = scope.get("scheme", "http")
    if scheme in ("http", "https") and scope.get("server") is not None:
        return str(scheme)
    return request.url.scheme


Handler = Callable[[Ctx], Awaitable[Response]]


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        state: AppState = request.app.state.chinwag
        authenticated: list[Ctx] = []  # the request's Ctx, once its credentials were accepted
        try:
            response = await _attempts(handler, request, state, authenticated)
            error = None
        except Exception as exc:
            error = _error_for(exc, request)
            response = error_response(error)
        hooks = state.emulator
        if hooks is None or not authenticated:  # production; or no account to journal it under
            return response
        return await _emulated(hooks, authenticated[0], response, error)

    run.__name__ = handler.__name__
    return run


async def _attempts(handler: Handler, request: Request, state: AppState, authenticated: list[Ctx]) -> Response:
    """Authenticate and run the handler; a transaction that failed before its COMMIT because the
    database connection was lost runs again, whole, on a fresh one (docs/decisions.md #51)."""
    ctx: Ctx | None = None
    for attempt in range(1, ATTEMPTS + 1):
        try:
            if ctx is None:
                account_sid = await state.auth.account_for(request.headers.get("authorization"))
                deps = await state.emulator.deps_for(account_sid) if state.emulator is not None else None
                ctx = Ctx(request, state, account_sid, deps)
                authenticated.append(ctx)
                check_query_string(request.scope.get("query_string", b""))  # also where none is read
                if "\x00" in ctx.path:  # nothing stored holds NUL (PostgreSQL text cannot): not found
                    raise TwilioError(ErrorCode.NOT_FOUND, path=ctx.path)
            return await handler(ctx)
        except StorageFault as fault:
            if not fault.retryable or attempt == ATTEMPTS:
                raise
            log.debug("retrying %s %s after %s", request.method, request.url.path, fault)
    raise AssertionError("unreachable")


def _error_for(exc: Exception, request: Request) -> TwilioError:
    """What a request that failed answers, in Twilio's body."""
    if isinstance(exc, TwilioError):
        return exc
    if isinstance(exc, ReferenceGone):
        # A row this request refers to was deleted by a concurrent request after this one read
        # it (PostgreSQL; SQLite runs writers one at a time). Nothing was written; retrying
        # sees the deletion. docs/decisions.md.
        return TwilioError(ErrorCode.REFERENCE_REMOVED)
    if isinstance(exc, ClientDisconnect):
        # The client hung up before its body arrived: nobody is left to answer, nothing was
        # written. Not an error of the server (docs/decisions.md #53).
        log.debug("client disconnected before its request body arrived: %s %s", request.method, request.url.path)
        return TwilioError(ErrorCode.INVALID_PARAMETER, message="request body incomplete")
    fault = classify(exc)
    if fault is None:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return TwilioError(ErrorCode.INTERNAL)
    monitor.record(fault)
    if fault.outcome_unknown:
        return TwilioError(ErrorCode.OUTCOME_UNKNOWN)
    return TwilioError(ErrorCode.UNAVAILABLE, kind=fault.kind)


async def _emulated(hooks: EmulatorHooks, ctx: Ctx, response: Response, error: TwilioError | None) -> Response:
    """Emulator mode: a hint on a 4xx (also appended to the error's message), and the request
    written to the account's journal."""
    hint = None
    if error is not None and 400 <= error.status < 500:
        hint = await hooks.explain(ctx, error)
        if hint:
            error.message = f"{error.message} (hint: {hint})"
            response = error_response(error)
    hooks.record(ctx, response.status_code, error, hint)
    return response
