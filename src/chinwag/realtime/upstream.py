"""Upstream `message` frames: HTTP requests tunnelled through the socket, routed by path.

The client labels each with a host (`aim.…`, `cds.…`, `ers.…`) that never resolves; the paths of
the three services do not overlap, so the path alone picks the handler: `/Client/v2/…` is aim
(chat commands, aim.py and aim_writes.py), `/v3/…` and `/v4/Subscriptions` are cds (Sync,
cds.py), `/v1/registrations` is ers (push registrations, accepted and ignored:
docs/decisions.md #127). Path segments and query values arrive percent-encoded and are decoded
here. The reply carries the transport result in `status` and the HTTP one in `http_status`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.realtime.framing import Frame
from chinwag.storage.faults import classify, monitor

if TYPE_CHECKING:
    from chinwag.realtime.session import Connection

log = logging.getLogger("chinwag.realtime")


@dataclass
class Call:
    """One tunnelled request, decoded."""

    conn: Connection
    method: str
    segments: list[str]
    params: dict[str, str]
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        """A JSON object body; a form body (typing) as its fields."""
        if isinstance(self.body, dict):
            return self.body
        if isinstance(self.body, str):
            return dict(parse_qsl(self.body, keep_blank_values=True))
        return {}


@dataclass
class Answer:
    status: int
    body: Any


Handler = Callable[[Call], Awaitable[Answer]]


def _decode_params(raw: Any) -> dict[str, str]:
    params: dict[str, str] = {}
    if not isinstance(raw, dict):
        return params
    for key, value in raw.items():
        if isinstance(value, list):  # repeated keys: the last one
            value = value[-1] if value else ""
        params[unquote(str(key))] = unquote(str(value).replace("+", " "))
    return params


def _split(path: str) -> list[str]:
    return [unquote(part) for part in path.split("?")[0].strip("/").split("/") if part]


async def handle(conn: Connection, frame: Frame) -> None:
    request = frame.header.get("http_request") or {}
    call = Call(
        conn=conn,
        method=str(request.get("method", "GET")).upper(),
        segments=_split(str(request.get("path", "/"))),
        params=_decode_params(request.get("params")),
        body=frame.payload,
        headers={str(k).lower(): str(v) for k, v in (request.get("headers") or {}).items()},
    )
    answer = await answer_for(call)
    reason = HTTPStatus(answer.status).phrase if answer.status in HTTPStatus._value2member_map_ else ""
    conn.reply(
        frame.id,
        {"code": 200, "status": "OK"},
        answer.body if answer.body is not None else {},
        http_status={"code": answer.status, "status": reason},
        http_headers={"Content-Type": "application/json"},
    )


async def answer_for(call: Call) -> Answer:
    from chinwag.realtime import aim, cds  # the handlers import this module's Call/Answer

    try:
        segments = call.segments
        if segments[:2] == ["Client", "v2"]:
            return await aim.route(call, segments[2:])
        if segments[:1] in (["v3"], ["v4"]):
            return await cds.route(call, segments)
        if segments[:2] == ["v1", "registrations"]:
            return Answer(200, {"id": "ERS" + call.conn.id})  # push registrations: ignored (#127)
        raise TwilioError(ErrorCode.NOT_FOUND, path="/" + "/".join(segments))
    except TwilioError as refused:
        return Answer(refused.status, refused.body())
    except Exception as exc:
        fault = classify(exc)
        if fault is not None:
            monitor.record(fault)
            failed = TwilioError(ErrorCode.UNAVAILABLE, kind=fault.kind)
        else:
            log.exception("realtime request %s /%s failed", call.method, "/".join(call.segments))
            failed = TwilioError(ErrorCode.INTERNAL)
        return Answer(failed.status, failed.body())
