"""`GET /openapi.json`: Twilio's spec filtered to what this server implements, `servers` pointing
here, so users can aim their own tools (schemathesis, generators, Postman) at chinwag. No credentials
needed, like `/health`."""

from __future__ import annotations

import weakref

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chinwag.contract.spec import implemented_spec
from chinwag.http.render import JSON

# The spec is static once the app's routes are built; only the base URL in its `servers` differs
# per request (the client's Host header, which anyone can vary without credentials). So it is
# rendered once per app with a placeholder base, cut at the placeholder, and each answer joins the
# pieces with its own base, JSON-escaped: microseconds instead of a rebuild per Host (~16 ms).
_PLACEHOLDER = "http://chinwag-base.invalid"
_pieces: weakref.WeakKeyDictionary[object, list[bytes]] = weakref.WeakKeyDictionary()


def _spec_pieces(app: object, routes: list[BaseRoute]) -> list[bytes]:
    pieces = _pieces.get(app)
    if pieces is None:
        rendered = orjson.dumps(implemented_spec(routes, _PLACEHOLDER))
        pieces = rendered.split(orjson.dumps(_PLACEHOLDER)[1:-1])
        _pieces[app] = pieces
    return pieces


async def openapi_json(request: Request) -> Response:
    public_url: str | None = request.app.state.chinwag.public_url
    if public_url:
        base = public_url.rstrip("/")
    else:
        scheme = request.scope.get("scheme", "http")
        base = f"{scheme}://{request.headers.get('host', 'localhost')}"
    body = orjson.dumps(base)[1:-1].join(_spec_pieces(request.app, request.app.routes))
    return Response(body, media_type=JSON)


def routes() -> list[Route]:
    return [Route("/openapi.json", openapi_json, methods=["GET"])]
