"""The ASGI application: routes a request to its endpoint by a tree of path segments.

Why not `Starlette(routes=…)`: chinwag mounts every resource at two URL forms, and Starlette's
router tries each route's regular expression in turn, behind two middleware layers; on a user
fetch that was over a third of the server's time (bench/README.md). Here the route table is the
same Starlette `Route` declarations (so the coverage matrix and `/openapi.json` read them as
before), endpoints still take Starlette's `Request` and return its `Response`, and dispatch is a
walk down a tree of the templates' segments: a literal, or `*` for a `{param}` that fills a whole
segment, or a `{param}` followed by a literal suffix (`{Sid}.json`: the 2010 API's paths, where the
suffix is matched literally and the parameter takes the rest, at least one character). Anything
else is refused at start.

Routing runs on the raw path (ASGI `raw_path`), split at `/` first and percent-decoded per segment
after, so `/v1/Users/team%2Fann` is the user `team/ann`, not a path of four segments; `+` stays `+`
(it is a space only in forms), and a segment that is not UTF-8 once decoded is a 400
(docs/decisions.md #43). A `{param}` matches one non-empty segment; the first route in registration
order wins; HEAD is served wherever GET is; a path that exists with
another method is a 405 carrying `Allow`. Unknown paths are a 404. Both answer in Twilio's error
body, and so does anything an endpoint lets escape (a 500, logged).
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import unquote

from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.http.render import error_response
from chinwag.logs import log_request
from chinwag.storage.faults import classify, monitor

log = logging.getLogger("chinwag.http")

_WHOLE_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::str)?\}")
_SUFFIXED_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::str)?\}([^{}/]+)")

Lifespan = Callable[[Any], AbstractAsyncContextManager[None]]


class _Target:
    """One route at a tree leaf: its endpoint, methods (HEAD added with GET), and parameter names
    by segment position."""

    __slots__ = ("endpoint", "methods", "order", "params", "path")

    def __init__(self, order: int, route: Route, params: list[tuple[int, str, int]]) -> None:
        self.order = order
        self.path = route.path  # the template, for the emulator's hints (emulator/hints.py)
        self.endpoint = route.endpoint
        self.methods = frozenset(route.methods or ("GET", "HEAD"))
        self.params = params


class _Node:
    __slots__ = ("any", "literal", "suffixed", "targets")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.any: _Node | None = None
        self.suffixed: dict[str, _Node] = {}  # `{param}<suffix>` segments, by suffix
        self.targets: list[_Target] = []


def _segments(path: str) -> list[str]:
    if not path.startswith("/") or path == "/":
        return [] if path == "/" else ["\x00"]  # never a literal: matches nothing
    return path[1:].split("/")


def _request_segments(scope: Scope) -> list[str]:
    """The request path's segments, each percent-decoded on its own. Raises UnicodeDecodeError for
    a path that is not UTF-8 (raw bytes, or escapes such as `%ff`)."""
    raw: bytes | None = scope.get("raw_path")
    if raw is None or (b"%" not in raw and raw.isascii()):
        return _segments(scope["path"])  # the hot path: nothing escaped, so `path` is the raw path
    if b"?" in raw:  # some servers leave the query string on it
        raw = raw.partition(b"?")[0]
    parts = _segments(raw.decode("utf-8"))
    return [unquote(part, errors="strict") if "%" in part else part for part in parts]


class App:
    """What `chinwag.asgi:create` hands the server. `routes` and `state` as on a Starlette app."""

    def __init__(self, routes: Sequence[Route], lifespan: Lifespan, *, access_log: bool = False) -> None:
        self.routes = list(routes)
        self.state = State()
        self._lifespan = lifespan
        # Off, the access log costs one attribute test per request (docs/decisions.md #92).
        self.access_log = access_log
        # The websocket endpoint (chinwag/realtime's `Realtime`), set by app.py.
        self.realtime: Callable[[Any, Any, Any], Awaitable[None]] | None = None
        self.realtime_path = ""
        self._root = _Node()
        for order, route in enumerate(self.routes):
            self._add(order, route)

    def _add(self, order: int, route: Route) -> None:
        node = self._root
        params: list[tuple[int, str, int]] = []  # (segment, name, length of a literal suffix)
        parts = _segments(route.path)
        for at, part in enumerate(parts):
            if "{" in part or "}" in part:
                match = _WHOLE_PARAM.fullmatch(part)
                if match is not None:
                    params.append((at, match.group(1), 0))
                    node.any = node.any or _Node()
                    node = node.any
                    continue
                match = _SUFFIXED_PARAM.fullmatch(part)
                if match is None:
                    raise ValueError(
                        f"{route.path}: a parameter must fill a whole segment, or lead one before a suffix"
                    )
                suffix = match.group(2)
                params.append((at, match.group(1), len(suffix)))
                node = node.suffixed.setdefault(suffix, _Node())
            elif part or at == len(parts) - 1:  # a trailing slash is an empty last literal
                node = node.literal.setdefault(part, _Node())
            else:
                raise ValueError(f"{route.path}: empty path segment")
        node.targets.append(_Target(order, route, params))

    def _leaves(self, node: _Node, parts: list[str], at: int, found: list[_Node]) -> None:
        if at == len(parts):
            if node.targets:
                found.append(node)
            return
        part = parts[at]
        if not part:  # a `{param}` never matches an empty segment; only a trailing slash's literal does
            child = node.literal.get("")
            if child is not None and at == len(parts) - 1:
                self._leaves(child, parts, at + 1, found)
            return
        child = node.literal.get(part)
        if child is not None:
            self._leaves(child, parts, at + 1, found)
        if node.any is not None:
            self._leaves(node.any, parts, at + 1, found)
        if node.suffixed:
            for suffix, next_node in node.suffixed.items():
                if len(part) > len(suffix) and part.endswith(suffix):
                    self._leaves(next_node, parts, at + 1, found)

    def resolve(self, method: str, path: str) -> tuple[_Target | None, dict[str, str], frozenset[str]]:
        """(the route for this method, its path parameters, every method the path answers)."""
        return self._resolve(method, _segments(path))

    def _resolve(self, method: str, parts: list[str]) -> tuple[_Target | None, dict[str, str], frozenset[str]]:
        found: list[_Node] = []
        self._leaves(self._root, parts, 0, found)
        best: _Target | None = None
        allowed: set[str] = set()
        for node in found:
            for target in node.targets:
                allowed |= target.methods
                if method in target.methods and (best is None or target.order < best.order):
                    best = target
        if best is None:
            return None, {}, frozenset(allowed)
        return (
            best,
            {name: parts[at][: len(parts[at]) - cut] if cut else parts[at] for at, name, cut in best.params},
            frozenset(allowed),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._run_lifespan(receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The realtime socket (chinwag/realtime) at its one path; any other is refused (403)."""
        if self.realtime is not None and scope.get("path") == self.realtime_path:
            await self.realtime(scope, receive, send)
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1008})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter() if self.access_log else 0.0
        scope["app"] = self
        path: str = scope["path"]
        try:
            parts = _request_segments(scope)
        except UnicodeDecodeError:
            refused = error_response(invalid("The request path could not be decoded: it must be UTF-8"))
            await refused(scope, receive, send)
            return
        target, params, allowed = self._resolve(scope["method"], parts)
        if target is None:
            response = _not_routed(path, allowed)
        else:
            scope["path_params"] = params
            try:
                response = await target.endpoint(Request(scope, receive))
            except Exception as exc:  # API endpoints catch their own; this guards the few plain ones
                fault = classify(exc)
                if fault is not None:  # a database fault: 503, said once per interval (#50)
                    monitor.record(fault)
                    response = error_response(TwilioError(ErrorCode.UNAVAILABLE, kind=fault.kind))
                else:
                    log.exception("unhandled error on %s %s", scope["method"], path)
                    response = error_response(TwilioError(ErrorCode.INTERNAL))
        await response(scope, receive, send)
        if self.access_log:
            log_request(scope, response, started)

    async def _run_lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        started = False
        try:
            async with self._lifespan(self):
                await send({"type": "lifespan.startup.complete"})
                started = True
                await receive()  # lifespan.shutdown
        except BaseException:
            failed = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
            await send({"type": failed, "message": traceback.format_exc()})
            raise
        await send({"type": "lifespan.shutdown.complete"})


def _not_routed(path: str, allowed: frozenset[str]) -> Response:
    if allowed:
        response = error_response(TwilioError(ErrorCode.METHOD_NOT_ALLOWED))
        response.headers["Allow"] = ", ".join(sorted(allowed))
        return response
    return error_response(TwilioError(ErrorCode.NOT_FOUND, path=path[3:] if path.startswith("/v1/") else path))
