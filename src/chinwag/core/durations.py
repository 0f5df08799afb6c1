"""ISO-8601 durations as Twilio timers use them (`PT1M`, `PT10M`, `P1DT2H`, `PT0S`)."""

from __future__ import annotations

import re

_DURATION = re.compile(
    # ASCII digits only: `\d` would also take `٣` and the like (docs/decisions.md #39).
    r"P(?!$)(?:(?P<w>[0-9]+)W)?(?:(?P<d>[0-9]+)D)?"
    r"(?:T(?=[0-9])(?:(?P<h>[0-9]+)H)?(?:(?P<m>[0-9]+)M)?(?:(?P<s>[0-9]+(?:\.[0-9]+)?)S)?)?"
)

MAX_SECONDS = 100 * 366 * 86400


def parse_duration(text: str) -> float | None:
    """Seconds in the duration, or None when it is not an ISO-8601 duration we accept."""
    match = _DURATION.fullmatch(text.strip().upper())
    if match is None:
        return None
    parts = match.groupdict()
    try:
        weeks, days, hours, minutes = (int(parts[k] or 0) for k in ("w", "d", "h", "m"))
        seconds = float(parts["s"] or 0)
    except ValueError:  # more digits than int() takes
        return None
    total = (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds
    # A deadline must stay a date (years up to 9999); a timer over a century is refused like a typo.
    return total if total <= MAX_SECONDS else None
