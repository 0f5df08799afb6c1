"""Accounts: the credentials a client authenticates with, each with its default service."""

from __future__ import annotations

import hmac
from dataclasses import replace

from chinwag.core.sids import SidPrefix, looks_like
from chinwag.domain import chat_services
from chinwag.domain.deps import Deps
from chinwag.storage.db import Tx
from chinwag.storage.repos import accounts as repo

DEFAULT_SERVICE_NAME = "Default Conversations Service"


async def create(tx: Tx, deps: Deps, sid: str | None = None, token: str | None = None) -> tuple[str, str]:
    """A new account with its default Conversation Service; returns (sid, token)."""
    sid = sid or deps.sid(SidPrefix.ACCOUNT)
    token = token or deps.sids.token()
    await repo.insert(tx, sid, token, None, deps.now())
    service = await chat_services.create(tx, deps, sid, DEFAULT_SERVICE_NAME)
    cfg = await repo.config(tx, sid)
    assert cfg is not None
    await repo.save_config(tx, replace(cfg, default_chat_service_sid=service.sid))
    return sid, token


async def recreate_defaults(tx: Tx, deps: Deps, sid: str, service_sid: str) -> None:
    """After every row of the account was deleted (emulator Reset): its configuration and default
    service (keeping that service's SID, with fresh default roles) as `create` makes them."""
    await repo.insert_config(tx, sid)
    service = await chat_services.create(tx, deps, sid, DEFAULT_SERVICE_NAME, sid=service_sid)
    cfg = await repo.config(tx, sid)
    assert cfg is not None
    await repo.save_config(tx, replace(cfg, default_chat_service_sid=service.sid))


async def ensure(tx: Tx, deps: Deps, sid: str, token: str) -> bool:
    """Make the account exist with exactly this token (idempotent). True when it was created."""
    if not looks_like(sid, SidPrefix.ACCOUNT):
        raise ValueError(f"{sid!r} is not an account SID (AC + 32 hex digits)")
    current = await repo.auth_token(tx, sid)
    if current is None:
        await create(tx, deps, sid, token)
        return True
    if not hmac.compare_digest(current, token):
        await repo.set_token(tx, sid, token)
    return False


async def check_credentials(tx: Tx, sid: str, token: str) -> bool:
    current = await repo.auth_token(tx, sid)
    return current is not None and hmac.compare_digest(current.encode(), token.encode())


async def list_all(tx: Tx) -> list[tuple[str, str, str]]:
    return await repo.list_all(tx)


async def auth_token(tx: Tx, sid: str) -> str | None:
    """The account's current auth token (the web console signs its session cookie with it)."""
    return await repo.auth_token(tx, sid)
