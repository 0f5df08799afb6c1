"""Push credentials (CR): APNs certificates and FCM/GCM keys an account registers for push
notifications. The secrets are accepted and stored, never shown again (docs/decisions.md #112)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.pagination import PageRequest
from chinwag.core.sids import SidPrefix
from chinwag.domain import validation
from chinwag.domain.deps import Deps
from chinwag.domain.models import Credential, Page
from chinwag.storage.db import Tx
from chinwag.storage.repos import credentials as repo

TYPES = ("apn", "gcm", "fcm")
FRIENDLY_NAME_MAX = 64
SECRET_MAX = 64 * 1024  # a PEM certificate chain or key is a few KiB


@dataclass(frozen=True)
class CredentialInput:
    """As sent; None means not sent."""

    type: str | None = None
    friendly_name: str | None = None
    certificate: str | None = None
    private_key: str | None = None
    sandbox: str | None = None
    api_key: str | None = None
    secret: str | None = None


def _type(value: str) -> str:
    if value not in TYPES:
        raise invalid(f"Invalid value for Type: {value!r} (one of {', '.join(TYPES)})")
    return value


def _secret(value: str, name: str) -> str | None:
    if len(value) > SECRET_MAX:
        raise invalid(f"{name} is too long (maximum {SECRET_MAX} characters)")
    return value or None


def _complete(c: Credential) -> None:
    """What each push service needs to send anything (400/20001 naming the first one missing)."""
    needed = {"apn": ("certificate", "private_key"), "gcm": ("api_key",), "fcm": ("secret",)}[c.type]
    names = {"certificate": "Certificate", "private_key": "PrivateKey", "api_key": "ApiKey", "secret": "Secret"}
    for field in needed:
        if not getattr(c, field):
            raise TwilioError(ErrorCode.MISSING_PARAMETER, name=names[field])


def _changes(data: CredentialInput) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if data.type:
        changes["type"] = _type(data.type)
    if data.friendly_name is not None:
        changes["friendly_name"] = (
            validation.friendly_name(data.friendly_name, FRIENDLY_NAME_MAX) if data.friendly_name else None
        )
    if data.sandbox is not None:
        changes["sandbox"] = validation.boolean(data.sandbox, "Sandbox") if data.sandbox else None
    for field, name in (
        ("certificate", "Certificate"),
        ("private_key", "PrivateKey"),
        ("api_key", "ApiKey"),
        ("secret", "Secret"),
    ):
        value = getattr(data, field)
        if value is not None:
            changes[field] = _secret(value, name)
    return changes


async def create(tx: Tx, deps: Deps, account_sid: str, data: CredentialInput) -> Credential:
    _type(validation.required(data.type, "Type"))
    now = deps.now()
    blank = Credential(0, deps.sid(SidPrefix.CREDENTIAL), account_sid, "", None, None, None, None, None, None, now, now)
    made = replace(blank, **_changes(data))
    _complete(made)
    return await repo.insert(tx, made)


async def fetch(tx: Tx, account_sid: str, sid: str, path: str) -> Credential:
    found = await repo.get(tx, account_sid, sid)
    if found is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return found


async def update(tx: Tx, deps: Deps, account_sid: str, sid: str, path: str, data: CredentialInput) -> Credential:
    current = await fetch(tx, account_sid, sid, path)
    changed = replace(current, **_changes(data), date_updated=deps.now())
    _complete(changed)
    return await repo.update(tx, changed)


async def delete(tx: Tx, account_sid: str, sid: str, path: str) -> None:
    if not await repo.delete(tx, account_sid, sid):
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)


async def page(tx: Tx, account_sid: str, req: PageRequest) -> Page[Credential]:
    return await repo.page(tx, account_sid, req)
