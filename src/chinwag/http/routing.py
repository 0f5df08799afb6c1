"""Mounts each resource route at both URL forms: `/v1/…` (the account's default service) and
`/v1/Services/{ChatServiceSid}/…`. One handler serves both; `Ctx.scope()` resolves which service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Endpoint = Callable[[Request], Awaitable[Response]]


def both(path: str, endpoint: Endpoint, methods: list[str]) -> list[Route]:
    return [
        Route("/v1" + path, endpoint, methods=methods),
        Route("/v1/Services/{ChatServiceSid}" + path, endpoint, methods=methods),
    ]


def by_method(**handlers: Endpoint) -> Endpoint:
    """One endpoint for a path that answers several methods (`GET=fetch, POST=update, …`).

    Starlette lets HEAD through wherever GET is allowed: it runs the GET handler, and the server
    sends the headers without the body."""

    async def dispatch(request: Request) -> Response:
        method = request.method
        return await handlers["GET" if method == "HEAD" else method](request)

    return dispatch
