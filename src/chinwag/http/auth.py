"""HTTP Basic with an account SID and its auth token, or an API key SID (SK…) and its secret
(Twilio's docs). A key authenticates as the account that owns it, and as no other.

A verified `Authorization` header is remembered, so the hot path does no credential look-up; a
wrong or missing one is never remembered. What keeps the memory honest (docs/decisions.md #102):
every credential change bumps a counter row in the database (triggers of migration 0009: a new
auth token, a removed account, a removed key, by any route, restart or hand-written SQL). Each
server process reads that row every `EPOCH_POLL` seconds and forgets everything it remembered when
the number moved; it also trusts nothing it remembers once its last successful read is more than
`STALE_AFTER` seconds old (a stalled poll, a database that does not answer). So a change takes
effect in every worker within about a quarter of a second, at the cost of four primary-key reads a
second per process, never a query per request.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time

from chinwag.core import tasks
from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.core.sids import SidPrefix, looks_like
from chinwag.domain import accounts, api_keys
from chinwag.storage.db import Database
from chinwag.storage.repos.api_keys import credentials_epoch

log = logging.getLogger("chinwag.auth")

_CACHE_LIMIT = 10_000
EPOCH_POLL = 0.25
STALE_AFTER = 1.0


class Authenticator:
    def __init__(self, db: Database, ttl: float) -> None:
        self._db = db
        self._ttl = ttl
        # header -> (account SID, key SID or None, monotonic expiry)
        self._cache: dict[str, tuple[str, str | None, float]] = {}
        self._generation = 0  # moves whenever the cache is emptied
        self._epoch: int | None = None
        self._fresh_until = 0.0  # nothing remembered is trusted past this (monotonic)
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    async def account_for(self, header: str | None) -> str:
        """The account the credentials authenticate as; 401/20003 otherwise."""
        hit = self._cache.get(header) if header else None
        if hit is not None:
            now = time.monotonic()
            if hit[2] > now and self._fresh_until > now:
                return hit[0]
        return (await self.principal(header))[0]

    async def principal(self, header: str | None) -> tuple[str, str | None]:
        """(account SID, the API key SID when a key was used, else None)."""
        if not header:
            raise TwilioError(ErrorCode.AUTH_MISSING)
        now = time.monotonic()
        hit = self._cache.get(header)
        if hit is not None and hit[2] > now and self._fresh_until > now:
            return hit[0], hit[1]
        username, secret = _parse_basic(header)
        generation = self._generation
        async with self._db.read() as tx:
            if username.startswith("AC"):
                account = username if await accounts.check_credentials(tx, username, secret) else None
            else:
                account = await api_keys.check_secret(tx, username, secret)
        if account is None:
            raise TwilioError(ErrorCode.AUTH_WRONG_SECRET)
        key = None if username.startswith("AC") else username
        # Remember it only if no change was seen while it was being checked: the check may have
        # read the credential as it was before that change.
        if generation == self._generation:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[header] = (account, key, now + self._ttl)
        return account, key

    def forget(self) -> None:
        """Drop every remembered credential (a credential changed)."""
        self._cache.clear()
        self._generation += 1

    async def start(self) -> None:
        await self._poll()
        self._task = asyncio.create_task(self._watch(), name="chinwag-credentials")

    async def stop(self) -> None:
        await tasks.cancel(self._task)
        self._task = None

    async def _poll(self) -> None:
        started = time.monotonic()
        try:
            async with self._db.read() as tx:
                epoch = await credentials_epoch(tx)
        except Exception:
            if not self._failing:  # once per outage, not four times a second
                log.warning("cannot read the credentials epoch; checking credentials on every request until it works")
            self._failing = True
            self.forget()
            return
        self._failing = False
        if epoch != self._epoch:
            self._epoch = epoch
            self.forget()
        self._fresh_until = started + STALE_AFTER

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(EPOCH_POLL)
            await self._poll()


def _parse_basic(header: str) -> tuple[str, str]:
    """(username, password) of a Basic header whose username can name a credential: an account SID
    or an API key SID. Anything else is 'invalid username', without a database look-up."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise TwilioError(ErrorCode.AUTH_FAILED)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise TwilioError(ErrorCode.AUTH_FAILED) from None
    username, sep, secret = decoded.partition(":")
    if not sep or not (looks_like(username, SidPrefix.ACCOUNT) or looks_like(username, SidPrefix.API_KEY)):
        raise TwilioError(ErrorCode.AUTH_FAILED)
    return username, secret
