"""Each account's own clock (docs/decisions.md #80).

An account's clock is the server's clock plus an offset stored in `emulator_clocks`, so every
worker process agrees; an account whose clock never moved has no row and runs on the server's.
Moving it (`Advance=<seconds>` or `Now=<ISO-8601>`) carries out, before answering, every timer of
that account that fell due; other accounts' clocks and timers are untouched.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from chinwag.core.clock import iso, parse_iso
from chinwag.core.errors import invalid
from chinwag.http.forms import Params

# Dates must stay writable as Twilio's `YYYY-MM-DDTHH:MM:SSZ` (years 1-9999), with room for the
# longest timer a conversation can have ahead of them.
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC).timestamp()
_LATEST = datetime(9000, 1, 1, tzinfo=UTC).timestamp()


def new_offset(form: Params, server_now: float, offset: float) -> float:
    """The account's offset after the request's `Advance` or `Now`; a 400 for anything else."""
    advance, now = form.get("Advance"), form.get("Now")
    if (advance is None) == (now is None):
        raise invalid("Send exactly one of Advance (seconds) or Now (an ISO-8601 date-time)")
    if advance is not None:
        try:
            seconds = float(advance.strip())
        except ValueError:
            raise invalid(f"Advance must be a number of seconds, not {advance!r}") from None
        if not math.isfinite(seconds):
            raise invalid("Advance must be a finite number of seconds")
        target = server_now + offset + seconds
    else:
        assert now is not None
        epoch = parse_iso(now) if now.strip() else None
        if epoch is None:
            raise invalid(f"Now must be an ISO-8601 date-time such as 2030-01-31T12:00:00Z, not {now!r}")
        target = epoch
    if not _EARLIEST <= target <= _LATEST:
        raise invalid("The clock must stay between 1970-01-01 and 9000-01-01")
    return target - server_now


def describe(server_now: float, offset: float) -> dict[str, object]:
    seconds = round(offset, 3)
    return {"now": iso(server_now + offset), "offset_seconds": int(seconds) if seconds.is_integer() else seconds}
