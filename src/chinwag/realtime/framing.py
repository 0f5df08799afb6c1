"""Twilsock V3.0 frames: `TWILSOCK V3.0 <H>\\r\\n<header JSON, H bytes>\\r\\n<payload>`.

What Twilio's JavaScript client (twilsock 1.0.2) parses: binary WebSocket messages only, the
header length and the header's `payload_size` counted in UTF-8 bytes; a payload is JSON unless
`payload_type` says `text/plain` (or another type, which is kept as bytes). Anything else is a
`FrameError`, and the connection answers it by closing (docs/decisions.md #121).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

MAGIC = b"TWILSOCK V3.0 "
CRLF = b"\r\n"
# A header longer than this is not a client's: its headers are a few hundred bytes.
MAX_HEADER = 64 * 1024


class FrameError(ValueError):
    """Bytes that are not a Twilsock V3.0 frame."""


@dataclass
class Frame:
    header: dict[str, Any]
    payload: Any = None  # decoded JSON, a str (text/plain), raw bytes (other types) or None
    raw_payload: bytes = field(default=b"", repr=False)

    @property
    def method(self) -> str:
        return str(self.header.get("method", ""))

    @property
    def id(self) -> str | None:
        value = self.header.get("id")
        return None if value is None else str(value)


def decode(data: bytes) -> Frame:
    if not data.startswith(MAGIC):
        raise FrameError("not a TWILSOCK V3.0 frame")
    end = data.find(CRLF, len(MAGIC))
    size_text = data[len(MAGIC) : end] if end > 0 else b""
    if not size_text.isdigit() or len(size_text) > 6:
        raise FrameError("bad header length")
    size = int(size_text)
    if size > MAX_HEADER:
        raise FrameError("header too long")
    start = end + len(CRLF)
    header_bytes = data[start : start + size]
    if len(header_bytes) != size or data[start + size : start + size + 2] != CRLF:
        raise FrameError("truncated header")
    try:
        header = orjson.loads(header_bytes)
    except orjson.JSONDecodeError as exc:
        raise FrameError("header is not JSON") from exc
    if not isinstance(header, dict):
        raise FrameError("header is not an object")
    raw = data[start + size + 2 :]
    declared = header.get("payload_size") or 0
    if not isinstance(declared, int) or declared < 0:
        raise FrameError("bad payload_size")
    raw = raw[:declared]
    if len(raw) != declared:
        raise FrameError("truncated payload")
    return Frame(header, _payload(header.get("payload_type"), raw), raw)


def _payload(kind: object, raw: bytes) -> Any:
    if not raw:
        return None
    kind_text = str(kind or "application/json").lower()
    if kind_text.startswith("application/json"):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise FrameError("payload is not JSON") from exc
    if kind_text.startswith("text/plain") or kind_text.startswith("application/x-www-form-urlencoded"):
        return raw.decode("utf-8", errors="replace")
    return raw


def encode(header: dict[str, Any], payload: Any = None) -> bytes:
    """A frame; a payload that is not bytes or str goes as JSON."""
    if payload is None:
        body = b""
    elif isinstance(payload, bytes):
        body = payload
    elif isinstance(payload, str):
        body = payload.encode()
        header.setdefault("payload_type", "text/plain")
    else:
        body = orjson.dumps(payload)
        header.setdefault("payload_type", "application/json")
    header["payload_size"] = len(body)
    head = orjson.dumps(header)
    return b"".join((MAGIC, str(len(head)).encode(), CRLF, head, CRLF, body))
