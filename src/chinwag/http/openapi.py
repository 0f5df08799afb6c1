"""`GET /openapi.json`: Twilio's spec filtered to what this server implements, `servers` pointing
here, so users can aim their own tools (schemathesis, generators, Postman) at chinwag. No credentials
needed, like `/health`."""

from __future__ import annotations

import weakref

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chinwag.contract.spec import implemented_spec
from chinwag.http.render import JSON

_CACHE_LIMIT = 16
# Per app, the rendered body per base URL (the spec is static once the app's routes are built).
_bodies: weakref.WeakKeyDictionary[object, dict[str, bytes]] = weakref.WeakKeyDictionary()


async def openapi_json(request: Request) -> Response:
    public_url: str | None = request.app.state.chinwag.public_url
    base = (
        public_url.rstrip("/") if public_url else f"{request.url.scheme}://{request.headers.get('host', 'localhost')}"
    )
    cache = _bodies.setdefault(request.app, {})
    body = cache.get(base)
    if body is None:
        body = orjson.dumps(implemented_spec(request.app.routes, base))
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[base] = body
    return Response(body, media_type=JSON)


def routes() -> list[Route]:
    return [Route("/openapi.json", openapi_json, methods=["GET"])]
