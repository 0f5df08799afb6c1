"""The MCS routes under `/_chinwag/mcs/v1/Services/{ServiceSid}/`:

- `POST Media?Filename=&Category=`: the raw body is the file, `Content-Type` its type (a browser's
  `multipart/form-data` with one file also works); 201 and the media record.
- `GET Media/{MediaSid}`: the record; `GET Media/{MediaSid}/Content`: the bytes, with credentials
  or with the `Expires` + `Signature` of the record's `links.content_direct_temporary`.
- `POST MediaSet` `{"command": "get", "list": [{"media_sid": …}]}`: records in bulk.

Every answer carries `Access-Control-Allow-Origin: *` and every path answers the CORS preflight,
since browsers upload from the app's own origin (docs/decisions.md #145). Uploads are read up to
`CHINWAG_MEDIA_MAX_BYTES`, not the API's 1 MiB body limit (#147).
"""

from __future__ import annotations

import asyncio
import email.policy
import logging
from collections.abc import Awaitable, Callable
from email.parser import BytesParser
from functools import partial
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.json_text import is_json
from chinwag.core.sids import SidPrefix, looks_like
from chinwag.domain import media as media_domain
from chinwag.http.context import MAX_BODY, AppState, Ctx
from chinwag.http.forms import Params
from chinwag.http.render import error_response, json_response
from chinwag.media import wire
from chinwag.media.access import Caller, caller
from chinwag.storage.faults import classify, monitor
from chinwag.storage.repos import accounts as account_repo
from chinwag.storage.repos import media as media_repo

log = logging.getLogger("chinwag.media")

ALLOW_HEADERS = "Authorization, Content-Type, X-Twilio-Token"
MEDIA_SET_MAX = 100  # records per MediaSet request (#149)
Handler = Callable[[Request, AppState], Awaitable[Response]]


def _cors(handler: Handler, methods: str) -> Callable[[Request], Awaitable[Response]]:
    """Preflight, errors in Twilio's body, and the CORS header on every answer."""

    async def run(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(
                status_code=204,
                headers={
                    "Access-Control-Allow-Origin": "*",
                    "Access-Control-Allow-Methods": f"{methods}, OPTIONS",
                    "Access-Control-Allow-Headers": ALLOW_HEADERS,
                    "Access-Control-Max-Age": "600",
                },
            )
        try:
            response = await handler(request, request.app.state.chinwag)
        except Exception as exc:
            response = error_response(_error(exc, request))
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    run.__name__ = handler.__name__
    return run


def _error(exc: Exception, request: Request) -> TwilioError:
    if isinstance(exc, TwilioError):
        return exc
    if isinstance(exc, ClientDisconnect):
        return invalid("request body incomplete")
    fault = classify(exc)
    if fault is None:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return TwilioError(ErrorCode.INTERNAL)
    monitor.record(fault)
    return TwilioError(ErrorCode.OUTCOME_UNKNOWN if fault.outcome_unknown else ErrorCode.UNAVAILABLE, kind=fault.kind)


async def _body(request: Request, state: AppState, limit: int, too_large: TwilioError) -> bytes:
    """The whole body, refused past `limit` (as soon as it is known to be larger) or when it takes
    longer than the body timeout (docs/decisions.md #52)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and (len(declared) > 15 or int(declared) > limit):
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(state.body_timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large
                chunks.append(chunk)
    except TimeoutError:
        raise TwilioError(ErrorCode.REQUEST_TIMEOUT, seconds=f"{state.body_timeout:g}") from None
    return b"".join(chunks)


def _multipart_file(content_type: str, body: bytes) -> tuple[str, str | None, bytes]:
    """(type, filename, bytes) of the file in a browser's `multipart/form-data` upload (the JS
    client's `postFormData`): the first part that names a file, else the first part."""
    head = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    message = BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if not parts:
        raise invalid("The multipart/form-data upload holds no part")
    part = next((p for p in parts if p.get_filename()), parts[0])
    payload = part.get_payload(decode=True)
    return part.get_content_type(), part.get_filename(), payload if isinstance(payload, bytes) else b""


def _base(request: Request, state: AppState, who: Caller) -> str:
    return Ctx(request, state, who.account_sid, who.deps).base


async def _record(request: Request, state: AppState, who: Caller, media: Any) -> dict[str, Any]:
    async with state.db.read() as tx:
        token = await account_repo.auth_token(tx, media.account_sid)
    return wire.record(media, _base(request, state, who), token or "", who.deps.clock.now())


async def upload(request: Request, state: AppState, *, max_bytes: int) -> Response:
    service_sid = request.path_params["ServiceSid"]
    who = await caller(request, state, service_sid)
    query = Params.parse(request.scope.get("query_string", b""))
    body = await _body(request, state, max_bytes, TwilioError(ErrorCode.MEDIA_TOO_LARGE, limit=max_bytes))
    content_type = request.headers.get("content-type")
    filename = query.get("Filename")
    if content_type is not None and content_type.lower().startswith("multipart/form-data"):
        content_type, named, body = _multipart_file(content_type, body)
        filename = filename or named
    if not body:
        raise invalid("The upload is empty: send the file as the request body")
    async with state.db.write() as tx:
        media = await media_domain.create(
            tx,
            who.deps,
            who.account_sid,
            service_sid,
            author=who.identity,
            content_type=content_type,
            filename=filename,
            category=query.get("Category"),
            content=body,
        )
    return json_response(await _record(request, state, who, media), 201)


async def fetch(request: Request, state: AppState) -> Response:
    service_sid = request.path_params["ServiceSid"]
    who = await caller(request, state, service_sid)
    async with state.db.read() as tx:
        media = await media_domain.fetch(
            tx, who.account_sid, service_sid, request.path_params["MediaSid"], who.identity
        )
    return json_response(await _record(request, state, who, media))


async def content(request: Request, state: AppState) -> Response:
    service_sid, sid = request.path_params["ServiceSid"], request.path_params["MediaSid"]
    query = Params.parse(request.scope.get("query_string", b""))
    if "Signature" in query or "Expires" in query:
        return await _signed_content(state, service_sid, sid, query)
    who = await caller(request, state, service_sid)
    async with state.db.read() as tx:
        await media_domain.fetch(tx, who.account_sid, service_sid, sid, who.identity)
        found = await media_repo.content(tx, sid)
    if found is None:  # deleted in between
        raise TwilioError(ErrorCode.MEDIA_NOT_FOUND, sid=sid)
    return _bytes(found[0], found[1])


async def _signed_content(state: AppState, service_sid: str, sid: str, query: Params) -> Response:
    """A `content_direct_temporary` URL: no credentials, the signature and expiry instead."""
    expires_text, given = query.get("Expires") or "", query.get("Signature") or ""
    if not looks_like(sid, SidPrefix.MEDIA):
        raise TwilioError(ErrorCode.MEDIA_NOT_FOUND, sid=sid)
    async with state.db.read() as tx:
        found = await media_repo.content(tx, sid)
    if found is None or found[0].chat_service_sid != service_sid:
        raise TwilioError(ErrorCode.MEDIA_NOT_FOUND, sid=sid)
    media, data, auth_token = found
    if not (expires_text.isascii() and expires_text.isdigit() and len(expires_text) <= 12) or not (
        wire.signature_ok(auth_token, sid, int(expires_text), given)
    ):
        raise TwilioError(ErrorCode.MEDIA_URL_INVALID)
    now = (await state.emulator.deps_for(media.account_sid)).clock.now() if state.emulator else state.deps.clock.now()
    if int(expires_text) < now:
        raise TwilioError(ErrorCode.MEDIA_URL_EXPIRED, expires=expires_text)
    return _bytes(media, data)


def _bytes(media: Any, data: bytes) -> Response:
    return Response(
        data,
        200,
        media_type=media.content_type,
        headers={
            "Content-Disposition": wire.content_disposition(media.filename),
            # The type is the uploader's word: never sniffed, and an uploaded page runs in a sandbox,
            # not as this server's origin (docs/decisions.md #146).
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, max-age=300",
        },
    )


async def media_set(request: Request, state: AppState) -> Response:
    service_sid = request.path_params["ServiceSid"]
    who = await caller(request, state, service_sid)
    raw = await _body(request, state, MAX_BODY, TwilioError(ErrorCode.TOO_LARGE))
    sids = _media_set_sids(raw)
    answers: list[dict[str, Any]] = []
    async with state.db.read() as tx:
        token = await account_repo.auth_token(tx, who.account_sid) or ""
        base = _base(request, state, who)
        for sid in sids:
            try:
                media = await media_domain.fetch(tx, who.account_sid, service_sid, sid, who.identity)
            except TwilioError as exc:
                answers.append({"code": exc.status, "media_record": {"sid": sid}})
                continue
            answers.append({"code": 200, "media_record": wire.record(media, base, token, who.deps.clock.now())})
    return json_response(answers)


def _media_set_sids(raw: bytes) -> list[str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("The MediaSet request is not UTF-8 JSON") from None
    doc = orjson.loads(text) if is_json(text) else None
    if not isinstance(doc, dict) or doc.get("command") != "get" or not isinstance(doc.get("list"), list):
        raise invalid('A MediaSet request is {"command": "get", "list": [{"media_sid": "ME…"}, …]}')
    items = doc["list"]
    if len(items) > MEDIA_SET_MAX:
        raise invalid(f"A MediaSet request names at most {MEDIA_SET_MAX} media")
    sids = [item.get("media_sid") if isinstance(item, dict) else None for item in items]
    if not all(isinstance(sid, str) for sid in sids):
        raise invalid("Every item of a MediaSet list needs a media_sid string")
    return [str(sid) for sid in sids]


def routes(max_bytes: int = media_domain.DEFAULT_MAX_BYTES) -> list[Route]:
    base = wire.PREFIX + "/{ServiceSid}"
    upload_route = partial(upload, max_bytes=max_bytes)
    upload_route.__name__ = "upload"  # type: ignore[attr-defined]
    return [
        Route(base + "/Media", _cors(upload_route, "POST"), methods=["POST", "OPTIONS"]),
        Route(base + "/Media/{MediaSid}", _cors(fetch, "GET"), methods=["GET", "OPTIONS"]),
        Route(base + "/Media/{MediaSid}/Content", _cors(content, "GET"), methods=["GET", "OPTIONS"]),
        Route(base + "/MediaSet", _cors(media_set, "POST"), methods=["POST", "OPTIONS"]),
    ]
