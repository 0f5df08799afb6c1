"""Settings, read from the environment when the app is built (never at import).

`chinwag serve` writes its flags into these variables before starting the ASGI server, so every
worker process builds the same app from the same settings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE = "sqlite:///chinwag.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE
    # Base of the absolute URLs in responses (behind a proxy); None: taken from each request's Host.
    public_url: str | None = None
    # How long a verified credential is trusted without a database look-up.
    auth_cache_seconds: float = 60.0
    # How often each server process carries out conversation timers whose deadline passed.
    timer_interval: float = 1.0
    # Seconds added to the system clock (tests of timers across a restart).
    clock_offset: float = 0.0
    # Emulator mode (`chinwag serve --emulator`): the control API under /_chinwag/ that only an
    # emulator should have (reset, snapshots, clock, ...); off, those routes answer 404.
    emulator: bool = False
    # One line per request on stderr (`--access-log`; on by default in emulator mode).
    access_log: bool = False
    # debug, info, warning or error (`--log-level`).
    log_level: str = "info"
    # The web console at /_chinwag/console/: on in emulator mode, or with `--console`.
    console: bool = False
    # Seconds a request body may take to arrive in full; past it a 408 (docs/decisions.md #52).
    body_timeout: float = 30.0
    # Webhook deliveries may go to these non-public ranges too (`--webhook-allow CIDR`, comma- or
    # space-separated); outside emulator mode other non-public addresses are refused.
    webhook_allow: str = ""
    # How often each process looks for webhook deliveries without being woken (retries falling due).
    webhook_poll: float = 1.0
    # Whether this process delivers webhooks (CHINWAG_WEBHOOK_DISPATCH=0: it only writes the outbox,
    # e.g. API-only nodes; another process on the database delivers).
    webhook_dispatch: bool = True
    # The largest media upload in bytes (CHINWAG_MEDIA_MAX_BYTES; docs/decisions.md #147).
    media_max_bytes: int = 16 * 1024 * 1024
    # `--sid-seed N` (emulator mode, one worker): SIDs from a seeded generator, the same run after run.
    sid_seed: int | None = None


def load_settings() -> Settings:
    return Settings(
        database_url=os.environ.get("CHINWAG_DATABASE", DEFAULT_DATABASE),
        public_url=os.environ.get("CHINWAG_PUBLIC_URL") or None,
        auth_cache_seconds=float(os.environ.get("CHINWAG_AUTH_CACHE_SECONDS", "60")),
        timer_interval=float(os.environ.get("CHINWAG_TIMER_INTERVAL", "1")),
        clock_offset=float(os.environ.get("CHINWAG_CLOCK_OFFSET", "0")),
        emulator=_flag(os.environ.get("CHINWAG_EMULATOR", "")),
        access_log=_flag(os.environ.get("CHINWAG_ACCESS_LOG", "")),
        log_level=os.environ.get("CHINWAG_LOG_LEVEL", "info"),
        console=_flag(os.environ.get("CHINWAG_CONSOLE", "")) or _flag(os.environ.get("CHINWAG_EMULATOR", "")),
        body_timeout=float(os.environ.get("CHINWAG_BODY_TIMEOUT", "30")),
        webhook_allow=os.environ.get("CHINWAG_WEBHOOK_ALLOW", ""),
        webhook_poll=float(os.environ.get("CHINWAG_WEBHOOK_POLL", "1")),
        webhook_dispatch=os.environ.get("CHINWAG_WEBHOOK_DISPATCH", "1").lower() not in ("0", "false", "no"),
        media_max_bytes=int(os.environ.get("CHINWAG_MEDIA_MAX_BYTES", str(16 * 1024 * 1024))),
        sid_seed=int(os.environ["CHINWAG_SID_SEED"]) if os.environ.get("CHINWAG_SID_SEED") else None,
    )


def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes")
