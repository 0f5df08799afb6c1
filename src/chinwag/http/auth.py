"""HTTP Basic with an account SID and its auth token (Twilio's docs).

A verified `Authorization` header is remembered for a short while (settings.auth_cache_seconds),
so the hot path does no credential look-up; a wrong or missing one is never remembered.
"""

from __future__ import annotations

import base64
import binascii
import time

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.core.sids import SidPrefix, looks_like
from chinwag.domain import accounts
from chinwag.storage.db import Database

_CACHE_LIMIT = 10_000


class Authenticator:
    def __init__(self, db: Database, ttl: float) -> None:
        self._db = db
        self._ttl = ttl
        self._cache: dict[str, tuple[str, float]] = {}

    async def account_for(self, header: str | None) -> str:
        if not header:
            raise TwilioError(ErrorCode.AUTH_MISSING)
        hit = self._cache.get(header)
        now = time.monotonic()
        if hit is not None and hit[1] > now:
            return hit[0]
        sid, token = _parse_basic(header)
        async with self._db.read() as tx:
            ok = await accounts.check_credentials(tx, sid, token)
        if not ok:
            raise TwilioError(ErrorCode.AUTH_FAILED)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[header] = (sid, now + self._ttl)
        return sid


def _parse_basic(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise TwilioError(ErrorCode.AUTH_FAILED)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise TwilioError(ErrorCode.AUTH_FAILED) from None
    sid, sep, token = decoded.partition(":")
    if not sep or not looks_like(sid, SidPrefix.ACCOUNT):  # no database look-up for what cannot be a SID
        raise TwilioError(ErrorCode.AUTH_FAILED)
    return sid, token
