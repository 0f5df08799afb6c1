"""Per-request context and the wrapper every API endpoint goes through.

The wrapper authenticates, hands the handler a `Ctx`, and turns `TwilioError` (and anything
unexpected, logged) into Twilio's error body. Handlers stay thin: parse, call domain, render.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from starlette.requests import Request
from starlette.responses import Response

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.domain import chat_services
from chinwag.domain.deps import Deps
from chinwag.domain.models import Scope
from chinwag.http.auth import Authenticator
from chinwag.http.forms import Params
from chinwag.http.render import error_response
from chinwag.storage.db import Database, Tx
from chinwag.storage.dialect import ReferenceGone

log = logging.getLogger("chinwag.http")

# The largest request body read. Twilio's own limits keep a valid form far below it: a message body
# is at most 1,600 characters, attributes at most 16 KiB, a role's permissions a few dozen names.
MAX_BODY = 1024 * 1024
DRAIN_LIMIT = 16 * MAX_BODY


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
    emulator: EmulatorHooks | None = None


class Ctx:
    __slots__ = ("_base", "_deps", "account_sid", "form_params", "request", "service_sid", "state")

    def __init__(self, request: Request, state: AppState, account_sid: str, deps: Deps | None = None) -> None:
        self.request = request
        self.state = state
        self.account_sid = account_sid
        self.service_sid: str | None = request.path_params.get("ChatServiceSid")
        self._base: str | None = None
        self._deps = deps or state.deps  # emulator mode: the account's own clock
        self.form_params: Params | None = None  # the body once read (the emulator's journal)

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
        return self.base + self.request.url.path

    @property
    def path(self) -> str:
        """The request path without `/v1`, as Twilio's not-found message quotes it."""
        path: str = self.request.scope["path"]
        return path[3:] if path.startswith("/v1/") else path

    def query(self) -> Params:
        return Params.parse(self.request.scope.get("query_string", b""))

    async def form(self) -> Params:
        """The form-encoded body; past MAX_BODY a 413 (docs/decisions.md), and what follows is
        read and dropped, never held: a client cannot make the server keep a body of any size."""
        declared = self.request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > DRAIN_LIMIT:
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
        self.form_params = Params.parse(b"".join(chunks))
        return self.form_params

    async def scope(self, tx: Tx) -> Scope:
        return await chat_services.resolve_scope(tx, self.account_sid, self.service_sid, self.path)

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
        if state.emulator is not None:
            return await _run_emulated(request, state, state.emulator, handler)
        try:
            account_sid = await state.auth.account_for(request.headers.get("authorization"))
            ctx = Ctx(request, state, account_sid)
            if "\x00" in ctx.path:  # nothing stored holds NUL (PostgreSQL text cannot): not found
                raise TwilioError(ErrorCode.NOT_FOUND, path=ctx.path)
            return await handler(ctx)
        except TwilioError as exc:
            return error_response(exc)
        except ReferenceGone:
            # A row this request refers to was deleted by a concurrent request after this one read
            # it (PostgreSQL; SQLite runs writers one at a time). Nothing was written; retrying
            # sees the deletion. docs/decisions.md.
            return error_response(TwilioError(ErrorCode.REFERENCE_REMOVED))
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            return error_response(TwilioError(ErrorCode.INTERNAL))

    run.__name__ = handler.__name__
    return run


async def _run_emulated(request: Request, state: AppState, hooks: EmulatorHooks, handler: Handler) -> Response:
    """`endpoint` in emulator mode: the account's own clock, a hint on a 4xx (also appended to the
    error's message), and the request written to the account's journal."""
    try:
        account_sid = await state.auth.account_for(request.headers.get("authorization"))
    except TwilioError as exc:
        return error_response(exc)  # no account to journal it under
    ctx = Ctx(request, state, account_sid, await hooks.deps_for(account_sid))
    error: TwilioError | None = None
    try:
        if "\x00" in ctx.path:
            raise TwilioError(ErrorCode.NOT_FOUND, path=ctx.path)
        response = await handler(ctx)
    except TwilioError as exc:
        error = exc
    except ReferenceGone:
        error = TwilioError(ErrorCode.REFERENCE_REMOVED)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        error = TwilioError(ErrorCode.INTERNAL)
    hint = None
    if error is not None:
        if 400 <= error.status < 500:
            hint = await hooks.explain(ctx, error)
            if hint:
                error.message = f"{error.message} (hint: {hint})"
        response = error_response(error)
    hooks.record(ctx, response.status_code, error, hint)
    return response
