"""The one check that a client's text is JSON, as RFC 8259 defines it (docs/decisions.md #40).

The standard library's `json.loads` is close but not exact, and not safe on hostile input:
- it accepts `NaN`, `Infinity` and `-Infinity`, which RFC 8259 does not have;
- it converts every number, so a valid integer of 5,000 digits fails `int()`'s digit limit;
- it recurses per nesting level, so `[[[[…]]]]` 2,000 deep raises `RecursionError`.
Here the constants are refused, numbers are checked by the grammar only (never converted), and
nesting deeper than `MAX_DEPTH` is refused by a counting pass before the parser ever runs. The
parser itself is the C scanner, so the common case (a small object) stays a single fast call.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

MAX_DEPTH = 128

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _keep(text: str) -> str:
    return text  # a number stays its text: no int() digit limit, no float overflow


_DECODER = json.JSONDecoder(parse_int=_keep, parse_float=_keep, parse_constant=_refuse_constant)


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """True when arrays/objects nest more than `limit` levels, counting brackets outside strings.

    Exact for valid JSON (where every `"` outside a string opens one); for invalid JSON it may
    miscount, which only matters if the parser would also accept it, and it never does."""
    if text.count("[") + text.count("{") <= limit:  # cannot nest deeper than it has openers
        return False
    brackets = _BRACKET.findall(_STRING.sub("", text))
    return max(accumulate(_STEP[b] for b in brackets), default=0) > limit


def is_json(text: str) -> bool:
    """True when `text` is one RFC 8259 JSON value (any type), with optional surrounding blanks."""
    if too_deep(text):
        return False
    try:
        _DECODER.decode(text)
    except (ValueError, RecursionError):  # RecursionError: only if the depth count were wrong
        return False
    return True
