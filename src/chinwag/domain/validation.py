"""Checks on client-supplied values, each failing with Twilio's code (limits: decisions.md #16)."""

from __future__ import annotations

from chinwag.core.clock import iso, parse_iso
from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.json_text import is_json
from chinwag.core.sids import SidPrefix, looks_like

IDENTITY_MAX = 256
FRIENDLY_NAME_MAX = 256
ROLE_FRIENDLY_NAME_MAX = 64
USER_ATTRIBUTES_MAX = 16 * 1024


def required(value: str | None, name: str) -> str:
    if value is None or value == "":
        raise TwilioError(ErrorCode.MISSING_PARAMETER, name=name)
    return value


def identity(value: str | None) -> str:
    text = required(value, "Identity")
    if len(text) > IDENTITY_MAX:
        raise TwilioError(ErrorCode.IDENTITY_TOO_LONG, limit=IDENTITY_MAX)
    if looks_like(text, SidPrefix.USER):
        # Paths accept a SID or an identity in one segment, so an identity must not look like a SID.
        raise TwilioError(ErrorCode.IDENTITY_LOOKS_LIKE_SID)
    return text


def friendly_name(value: str, limit: int = FRIENDLY_NAME_MAX) -> str:
    if len(value) > limit:
        raise TwilioError(ErrorCode.FRIENDLY_NAME_TOO_LONG, limit=limit)
    return value


def attributes(value: str, limit: int) -> str:
    """Any RFC 8259 JSON text (not only objects), stored and returned verbatim (docs/decisions.md #40)."""
    if len(value.encode()) > limit:
        raise TwilioError(ErrorCode.ATTRIBUTES_TOO_LONG, limit=limit)
    if not is_json(value):
        raise TwilioError(ErrorCode.ATTRIBUTES_INVALID)
    return value


def sid_of(value: str, prefix: SidPrefix, name: str) -> str:
    if not looks_like(value, prefix):
        raise invalid(f"Invalid value for {name}: expected a {prefix.value} SID")
    return value


def iso_date(value: str, name: str) -> str:
    """A client-supplied date-time (`DateCreated`, …), normalised to Twilio's `…Z` form."""
    epoch = parse_iso(value)
    if epoch is None:
        raise invalid(f"Invalid value for {name}: expected an ISO-8601 date-time")
    return iso(epoch)


def boolean(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise invalid(f"Invalid value for {name}: expected true or false")
