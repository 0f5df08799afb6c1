"""ISO-8601 durations as Twilio timers use them (`PT1M`, `PT10M`, `P1DT2H`, `PT0S`)."""

from __future__ import annotations

import re

_DURATION = re.compile(
    r"P(?!$)(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
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
