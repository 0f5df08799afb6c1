"""Access tokens: the JWTs Twilio's helper libraries mint for client SDKs, verified as Twilio does.

A token is signed (HMAC) with an API key's secret; `iss` names the key (SK…), `sub` the account
(AC…) the key belongs to, `grants.identity` the user and `grants.chat.service_sid` (or the legacy
`grants.ip_messaging`) the Conversation Service the client talks to. The checks run in the order
that lets each refusal say exactly what is wrong (docs/decisions.md #140-#143):

1. the text is a JWT at all (20101), 2. its header (20102), 3. `iss`/`sub` name a live key of that
account (20103), 4. the signature with that key's secret (20107), 5. `exp` (20104) and `nbf`
(20105) against the request's clock with `CLOCK_LEEWAY`, 6. the lifetime at most 24 hours
(20157), 7. the grants (20106). Nothing about the token is trusted before step 4 except what is
needed to find the key.

The clock is the caller's (`deps.now()` through the request's `Deps`), so an emulator account's
own clock decides expiry, as it decides everything else.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass
from typing import Any

import jwt

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.core.json_text import too_deep
from chinwag.core.sids import SidPrefix, looks_like
from chinwag.domain import api_keys
from chinwag.domain.validation import IDENTITY_MAX
from chinwag.storage.db import Database, Tx
from chinwag.storage.repos import accounts as account_repo
from chinwag.storage.repos import services as service_repo

CONTENT_TYPE = "twilio-fpa;v=1"
# Twilio's Node library signs with any of these; its Python library with HS256 only (#141).
ALGORITHMS = ("HS256", "HS384", "HS512")
CLOCK_LEEWAY = 60.0  # seconds of clock skew forgiven on exp and nbf (#142)
MAX_LIFETIME = 86_400  # 24 hours, Twilio's documented maximum (error 20157)
MAX_TOKEN_LENGTH = 16_384  # far above any real token (a few hundred bytes); keeps parsing bounded

_JWS = jwt.PyJWS(algorithms=list(ALGORITHMS))


@dataclass(frozen=True)
class ChatGrant:
    """A verified token: who the client is and which service it may use, until `expires_at`."""

    account_sid: str
    api_key_sid: str
    identity: str
    service_sid: str
    expires_at: float  # the token's `exp` (Unix seconds)
    token: str


class TokenRefused(TwilioError):
    """A token that does not verify; `code` is 20101-20107 or 20157, `status` 401, `message` says why."""

    def __init__(self, error: ErrorCode, reason: str) -> None:
        super().__init__(error, reason=reason)


async def verify(tx_or_db: Tx | Database, token: str, now: float) -> ChatGrant:
    """The grant `token` carries, judged at `now` (Unix seconds); `TokenRefused` otherwise."""
    if hasattr(tx_or_db, "one"):
        return await _verify(tx_or_db, token, now)  # type: ignore[arg-type]
    async with tx_or_db.read() as tx:
        return await _verify(tx, token, now)


def claimed_account(token: str) -> str | None:
    """The account a token claims (`sub`), NOT verified: only to choose whose clock `verify` runs on
    (an emulator account's own clock). None when the token does not even parse."""
    try:
        _, claims = _unverified(token)
    except TokenRefused:
        return None
    sub = claims.get("sub")
    return sub if isinstance(sub, str) and looks_like(sub, SidPrefix.ACCOUNT) else None


async def _verify(tx: Tx, token: str, now: float) -> ChatGrant:
    header, claims = _unverified(token)
    key_sid, account_sid = _issuer(claims)
    secret = await api_keys.signing_secret(tx, account_sid, key_sid)
    if secret is None:
        # One message for "no such key" and "another account's key": a token must not tell which.
        raise TokenRefused(ErrorCode.TOKEN_ISSUER, f"{key_sid} is not an API key of account {account_sid}")
    try:
        with warnings.catch_warnings():
            # An API key's secret is 32 characters, as Twilio's are; PyJWT warns on every HS384/HS512
            # token that the key is shorter than the hash. The key length is not the caller's choice.
            warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
            _JWS.decode(token, secret, algorithms=[header["alg"]])
    except jwt.InvalidSignatureError:
        raise TokenRefused(
            ErrorCode.TOKEN_SIGNATURE,
            f"the token was not signed with the secret of API key {key_sid} (sign it with the key's secret,"
            " not the account's auth token)",
        ) from None
    except jwt.PyJWTError as exc:  # anything else PyJWT objects to was malformed to begin with
        raise TokenRefused(ErrorCode.TOKEN_INVALID, f"cannot be decoded ({exc})") from None
    expires_at = _times(claims, now)
    identity, service_sid = await _grants(tx, claims, account_sid)
    return ChatGrant(account_sid, key_sid, identity, service_sid, expires_at, token)


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a well-formed JWT, before any trust."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise TokenRefused(ErrorCode.TOKEN_INVALID, "not a JWT (three base64url parts separated by dots)")
    try:
        decoded = _JWS.decode_complete(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise TokenRefused(ErrorCode.TOKEN_INVALID, "not a JWT (a part is not base64url-encoded JSON)") from None
    header: dict[str, Any] = decoded["header"]
    payload: bytes = decoded["payload"]
    try:
        text = payload.decode("utf-8")
        claims = None if too_deep(text) else json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        claims = None
    if not isinstance(claims, dict):
        raise TokenRefused(ErrorCode.TOKEN_INVALID, "not a JWT (the payload is not a JSON object)")
    _check_header(header)
    return header, claims


def _check_header(header: dict[str, Any]) -> None:
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise TokenRefused(ErrorCode.TOKEN_HEADER, f"alg {alg!r} is not supported (use {', '.join(ALGORITHMS)})")
    if header.get("cty") != CONTENT_TYPE:
        raise TokenRefused(ErrorCode.TOKEN_HEADER, f"cty must be {CONTENT_TYPE!r}, got {header.get('cty')!r}")
    if "typ" in header and header["typ"] != "JWT":
        raise TokenRefused(ErrorCode.TOKEN_HEADER, f"typ must be 'JWT', got {header['typ']!r}")


def _issuer(claims: dict[str, Any]) -> tuple[str, str]:
    iss, sub = claims.get("iss"), claims.get("sub")
    if not isinstance(iss, str) or not looks_like(iss, SidPrefix.API_KEY):
        hint = " (tokens are signed with an API key, not the auth token)" if isinstance(iss, str) else ""
        raise TokenRefused(ErrorCode.TOKEN_ISSUER, f"iss must be an API key SID (SK…), got {iss!r}{hint}")
    if not isinstance(sub, str) or not looks_like(sub, SidPrefix.ACCOUNT):
        raise TokenRefused(ErrorCode.TOKEN_ISSUER, f"sub must be an account SID (AC…), got {sub!r}")
    return iss, sub


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    try:  # NaN, infinities and integers past a float's range are not times
        number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
    except OverflowError:
        number = math.nan
    if not math.isfinite(number):
        error = ErrorCode.TOKEN_NOT_YET_VALID if name == "nbf" else ErrorCode.TOKEN_EXPIRED
        raise TokenRefused(error, f"{name} must be a number of seconds since 1970, got {str(value)[:40]!r}")
    return number


def _times(claims: dict[str, Any], now: float) -> float:
    """`exp`; refuses an expired, not yet valid or too long-lived token."""
    exp = _number(claims, "exp")
    if exp is None:
        raise TokenRefused(ErrorCode.TOKEN_EXPIRED, "the token has no exp")
    if exp + CLOCK_LEEWAY <= now:
        raise TokenRefused(ErrorCode.TOKEN_EXPIRED, f"it expired at {int(exp)} (now {int(now)}); mint a new token")
    nbf = _number(claims, "nbf")
    if nbf is not None and nbf - CLOCK_LEEWAY > now:
        raise TokenRefused(ErrorCode.TOKEN_NOT_YET_VALID, f"it is valid from {int(nbf)} (now {int(now)})")
    iat = _number(claims, "iat")
    start = nbf if nbf is not None else iat if iat is not None else now
    if exp - start > MAX_LIFETIME:
        raise TokenRefused(
            ErrorCode.TOKEN_TOO_LONG_LIVED,
            f"the token lives {int(exp - start)} seconds; the maximum is {MAX_LIFETIME} (24 hours)",
        )
    return exp


async def _grants(tx: Tx, claims: dict[str, Any], account_sid: str) -> tuple[str, str]:
    """(identity, service SID) of a chat grant, the service being one of the token's account."""
    grants = claims.get("grants")
    if not isinstance(grants, dict):
        raise TokenRefused(ErrorCode.TOKEN_GRANTS, "the token has no grants object")
    identity = grants.get("identity")
    if not isinstance(identity, str) or not identity:
        raise TokenRefused(ErrorCode.TOKEN_GRANTS, "grants.identity is required (a non-empty string)")
    if len(identity) > IDENTITY_MAX or "\x00" in identity:  # what a user's identity may be
        raise TokenRefused(
            ErrorCode.TOKEN_GRANTS, f"grants.identity must be at most {IDENTITY_MAX} characters, without NUL"
        )
    chat = grants.get("chat", grants.get("ip_messaging"))  # ip_messaging: Programmable Chat's name
    if not isinstance(chat, dict):
        raise TokenRefused(ErrorCode.TOKEN_GRANTS, "the token has no chat grant (ChatGrant)")
    service_sid = chat.get("service_sid")
    if service_sid is None:  # docs/decisions.md #143: the account's default Conversation Service
        service_sid = await account_repo.default_service_sid(tx, account_sid)
        if service_sid is None:
            raise TokenRefused(ErrorCode.TOKEN_GRANTS, "the chat grant has no service_sid and the account no default")
        return identity, service_sid
    if not isinstance(service_sid, str) or not await service_repo.exists(tx, account_sid, service_sid):
        raise TokenRefused(
            ErrorCode.TOKEN_GRANTS, f"chat.service_sid {service_sid!r} is not a Conversation Service of {account_sid}"
        )
    return identity, service_sid
