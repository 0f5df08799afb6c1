"""API keys (SK…): create, fetch, list, rename, delete, and the check of a key's secret.

A key belongs to one account and authenticates as that account only. Its secret is made here,
answered once (by `create`), and kept so the server can verify access tokens signed with it
(docs/decisions.md #101). Routes never return it again.
"""

from __future__ import annotations

import hmac

from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.pagination import PageRequest
from chinwag.core.sids import SidPrefix
from chinwag.domain.deps import Deps
from chinwag.domain.models import ApiKey, Page
from chinwag.storage.db import Tx
from chinwag.storage.repos import accounts as account_repo
from chinwag.storage.repos import api_keys as repo

FRIENDLY_NAME_MAX = 64  # Twilio's documented limit for a key's FriendlyName


class UnknownAccount(LookupError):
    """`create` for an account the database does not hold (the command line names one)."""


def _friendly_name(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > FRIENDLY_NAME_MAX:
        raise invalid(f"FriendlyName is too long (maximum {FRIENDLY_NAME_MAX} characters)")
    return value


async def create(tx: Tx, deps: Deps, account_sid: str, friendly_name: str | None) -> tuple[ApiKey, str]:
    """A new key of the account; returns it with its secret (the only time the secret leaves)."""
    name = _friendly_name(friendly_name)
    if await account_repo.auth_token(tx, account_sid) is None:
        raise UnknownAccount(account_sid)
    secret = deps.sids.token()
    key = await repo.insert(tx, deps.sid(SidPrefix.API_KEY), account_sid, name, secret, deps.now())
    return key, secret


async def fetch(tx: Tx, account_sid: str, sid: str, path: str) -> ApiKey:
    key = await repo.get(tx, account_sid, sid)
    if key is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return key


async def rename(tx: Tx, deps: Deps, account_sid: str, sid: str, path: str, friendly_name: str | None) -> ApiKey:
    if friendly_name is None:  # nothing sent: the key as it is
        return await fetch(tx, account_sid, sid, path)
    key = await repo.rename(tx, account_sid, sid, _friendly_name(friendly_name), deps.now())
    if key is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return key


async def delete(tx: Tx, account_sid: str, sid: str, path: str) -> None:
    if not await repo.delete(tx, account_sid, sid):
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)


async def page(tx: Tx, account_sid: str, req: PageRequest) -> Page[ApiKey]:
    return await repo.page(tx, account_sid, req)


async def check_secret(tx: Tx, key_sid: str, secret: str) -> str | None:
    """The account a key authenticates as, when `secret` is its secret; else None."""
    found = await repo.owner_and_secret(tx, key_sid)
    if found is None or not hmac.compare_digest(found[1].encode(), secret.encode()):
        return None
    return found[0]


async def signing_secret(tx: Tx, account_sid: str, key_sid: str) -> str | None:
    """A key's secret, for verifying an access token it signed (`iss` = the key, `sub` = the account)."""
    found = await repo.owner_and_secret(tx, key_sid)
    return found[1] if found is not None and found[0] == account_sid else None
