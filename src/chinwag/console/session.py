"""The console's sign-in session: a cookie naming the account, signed with the account's token.

`AC….<expiry>.<HMAC-SHA256(auth token, "chinwag-console|AC…|<expiry>")>`: the token itself is
never in the cookie or a URL, no server-side secret has to be shared between worker processes,
and rotating the token (a restart with another `CHINWAG_AUTH_TOKEN`) signs every session out
(docs/decisions.md #94).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from chinwag.core.sids import SidPrefix, looks_like
from chinwag.domain import accounts
from chinwag.storage.db import Database

COOKIE = "chinwag_console"
LIFETIME = 12 * 3600


def _mac(token: str, sid: str, expires: int) -> str:
    return hmac.new(token.encode(), f"chinwag-console|{sid}|{expires}".encode(), hashlib.sha256).hexdigest()


def issue(sid: str, token: str, now: float | None = None) -> str:
    expires = int((now or time.time()) + LIFETIME)
    return f"{sid}.{expires}.{_mac(token, sid, expires)}"


async def account_of(db: Database, cookie: str | None) -> str | None:
    """The account SID a valid, unexpired session cookie names; None for anything else."""
    if not cookie:
        return None
    sid, _, rest = cookie.partition(".")
    expires_text, _, mac = rest.partition(".")
    if not looks_like(sid, SidPrefix.ACCOUNT) or not expires_text.isdigit() or int(expires_text) < time.time():
        return None
    async with db.read() as tx:
        token = await accounts.auth_token(tx, sid)
    if token is None or not hmac.compare_digest(_mac(token, sid, int(expires_text)), mac):
        return None
    return sid


async def check(db: Database, sid: str, token: str) -> bool:
    if not looks_like(sid, SidPrefix.ACCOUNT):
        return False
    async with db.read() as tx:
        return await accounts.check_credentials(tx, sid, token)
