"""Twilio's connection overrides in a webhook URL's fragment (`https://h/x#rc=2&ct=1000`).

`rc`: retries after the first attempt (`#rc=0`: one attempt). `ct` / `rt` / `tt`: connect, read and
total timeouts in milliseconds. The fragment is never requested nor signed: it is stripped here.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

DEFAULT_TIMEOUT = 5.0  # seconds, each of connect / read / total (Twilio's webhook docs)
MAX_TIMEOUT = 15.0  # a fragment cannot hold a dispatcher lane for longer than this per attempt


@dataclass(frozen=True, slots=True)
class Overrides:
    retries: int | None = None  # None: the server default
    connect: float = DEFAULT_TIMEOUT
    read: float = DEFAULT_TIMEOUT
    total: float = DEFAULT_TIMEOUT


def _ms(value: str | None, default: float) -> float:
    if value is None or not value.isdigit():
        return default
    return min(max(int(value) / 1000.0, 0.001), MAX_TIMEOUT)


def split(url: str) -> tuple[str, Overrides]:
    """The URL to request and sign, and the overrides its fragment names."""
    base, sep, frag = url.partition("#")
    if not sep:
        return url, Overrides()
    values = dict(parse_qsl(frag, keep_blank_values=True))
    rc = values.get("rc")
    return base, Overrides(
        retries=int(rc) if rc is not None and rc.isdigit() else None,
        connect=_ms(values.get("ct"), DEFAULT_TIMEOUT),
        read=_ms(values.get("rt"), DEFAULT_TIMEOUT),
        total=_ms(values.get("tt"), DEFAULT_TIMEOUT),
    )
