"""The one parser for integers a client sends (docs/decisions.md #39).

`int()` is far more lenient than a wire format should be: it takes surrounding blanks (` 3`),
underscores (`1_0`), a `+` sign and any Unicode decimal digit (`٣`, Arabic-Indic three), and it
raises past 4,300 digits. Every integer parameter goes through `parse_int` instead: an optional
`-`, then ASCII digits only, within a signed 64-bit range unless the caller narrows it.
"""

from __future__ import annotations

import re

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_INTEGER = re.compile(r"-?[0-9]+")
_MAX_DIGITS = 19  # every signed 64-bit integer has at most 19 significant digits


class NotAnInteger(ValueError):
    """The text is not an optional `-` followed by ASCII digits."""


class OutOfRange(ValueError):
    """An integer, but outside the range asked for."""


def parse_int(text: str, *, low: int = INT64_MIN, high: int = INT64_MAX) -> int:
    if _INTEGER.fullmatch(text) is None:
        raise NotAnInteger(text)
    digits = text.lstrip("-").lstrip("0")
    if len(digits) > _MAX_DIGITS:  # cheap, and int() never sees 5,000 digits
        raise OutOfRange(text)
    value = int(digits or "0")
    if text.startswith("-"):
        value = -value
    if not low <= value <= high:
        raise OutOfRange(text)
    return value


def is_int(text: str) -> bool:
    """True when `parse_int` would accept the text (as a 64-bit integer)."""
    try:
        parse_int(text)
    except ValueError:
        return False
    return True
