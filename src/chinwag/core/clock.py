"""Time comes only from here, so tests can drive it; one formatter for Twilio's date shape."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class FrozenClock:
    """A clock tests move by hand."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def set(self, epoch: float) -> None:
        self._now = epoch


class OffsetClock:
    """System time plus an offset that can be moved: the clock a test drives on a running server
    (emulator mode moves accounts with ShiftedClock on top), or that starts ahead (`CHINWAG_CLOCK_OFFSET`)."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def set(self, epoch: float) -> None:
        self.offset = epoch - time.time()


class ShiftedClock:
    """Another clock plus a fixed offset: an account's own clock in emulator mode (emulator/clock.py)."""

    __slots__ = ("base", "offset")

    def __init__(self, base: Clock, offset: float) -> None:
        self.base = base
        self.offset = offset

    def now(self) -> float:
        return self.base.now() + self.offset


# The last second `iso` formatted and its text: a message post asks for "now" about five times,
# nearly always within one second, and formatting cost ~5 µs each (a swap of one tuple: thread-safe).
_last_iso: tuple[int, str] = (-1, "")


def iso(epoch: float) -> str:
    """Twilio's wire date: `YYYY-MM-DDTHH:MM:SSZ`, UTC, no fraction. Stored the same way, so it sorts."""
    global _last_iso
    second = int(epoch)
    last = _last_iso
    if last[0] == second:
        return last[1]
    # Not strftime: glibc's %Y does not pad years before 1000 ("237-…"), which breaks shape and sort.
    d = datetime.fromtimestamp(second, UTC)
    text = f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}Z"
    _last_iso = (second, text)
    return text


def parse_iso(value: str) -> float | None:
    """Parse an ISO-8601 date-time as clients send it (`…Z` or with an offset); None when malformed."""
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        stamp = parsed.timestamp()
        datetime.fromtimestamp(int(stamp), UTC)  # must also fit years 1-9999 in UTC, to be written back
    except (ValueError, OverflowError):
        return None
    return stamp
