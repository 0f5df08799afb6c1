"""PostgreSQL LISTEN on a connection of its own (not the pool's), for the webhook dispatcher and
the realtime hub: it reconnects when the connection drops, and the caller polls meanwhile.

The connection goes to the LISTEN database (`--listen-database`, else `--database`): behind a
transaction pooler a pooled server connection would be handed to other clients while it listened
(docs/decisions.md #156)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger("chinwag.storage")


class Listener:
    """`run()` (a task) holds LISTEN on each channel of `channels`, calling its callback with the
    notification's payload; `close()` when the task was cancelled.

    `listening` is called each time LISTEN is in place (at start, and after every reconnect): what
    committed before then notified nobody, so the caller looks once, as a notification would have
    had it. Without it, an event committed while the listener was still connecting waited for the
    next poll (30 s in a test that set it so; a niced delivery process connects late on a busy
    machine)."""

    def __init__(
        self,
        dsn: str,
        settings: dict[str, str],
        channels: Mapping[str, Callable[[str], None]],
        what: str,
        listening: Callable[[], None],
    ) -> None:
        self._dsn = dsn
        self._settings = settings
        self._channels = channels
        self._what = what  # names the listener in the log: "webhook", "realtime"
        self._listening = listening
        self._conn: Any = None

    async def run(self) -> None:
        import asyncpg

        down = False  # said so already: a database refusing connections for minutes is one line, not one per try
        while True:
            try:
                self._conn = await asyncpg.connect(self._dsn, server_settings=self._settings)
                for channel, callback in self._channels.items():
                    await self._conn.add_listener(channel, _calling(callback))
                if down:
                    log.warning("%s LISTEN connection back", self._what)
                    down = False
                self._listening()
                while not self._conn.is_closed():
                    await asyncio.sleep(5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not down:
                    log.warning("%s LISTEN connection lost (%s); polling meanwhile", self._what, exc)
                    down = True
                await self.close()  # a connection whose LISTEN failed is not kept open beside the next
                await asyncio.sleep(2)

    async def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None


def _calling(callback: Callable[[str], None]) -> Callable[..., None]:
    return lambda _conn, _pid, _channel, payload: callback(payload)
