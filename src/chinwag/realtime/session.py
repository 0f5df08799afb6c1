"""One client's socket: the Twilsock lifecycle over an ASGI websocket scope.

`init` (token verified, the User made on a first connection) → upstream `message` frames, each
answered by its own task (a pre-event hook may take seconds; other requests go on meanwhile) →
`update` (a new token) → `close`. The server pings every PING_INTERVAL (docs/decisions.md #122),
says `token_about_to_expire` ahead of the token's expiry and closes with 410 at it (#123).

Everything sent goes through one queue and one writer task, so frames leave in the order they
were queued: replayed events, then `subscription_established`, then live events (cds.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from typing import TYPE_CHECKING, Any

from chinwag.domain.access_tokens import ChatGrant, TokenRefused, verify
from chinwag.realtime import framing, upstream
from chinwag.realtime.framing import Frame, FrameError
from chinwag.realtime.log import SyncEvent
from chinwag.storage.faults import report_background_failure

if TYPE_CHECKING:
    from chinwag.realtime import Realtime

log = logging.getLogger("chinwag.realtime")

PING_INTERVAL = 30.0  # docs/decisions.md #122
ABOUT_TO_EXPIRE = 60.0  # seconds before `exp` the client is told (#123)
INIT_TIMEOUT = 30.0  # a socket that never sends `init` is closed (#121)
REFUSED_LINGER = 2.0  # after a refused init, the client closes; the server does if it does not
OK = {"code": 200, "status": "OK"}
MAX_QUEUED = 10_000  # frames waiting for a socket before it is given up (docs/decisions.md #121)


_frames = itertools.count(1)
_PROCESS_TAG = uuid.uuid4().hex[:12]


def frame_id() -> str:
    """An id for a frame the server starts (the client acks it by id): unique, and cheaper than a
    uuid per frame, which a fan-out pays per socket."""
    return f"TM{_PROCESS_TAG}{next(_frames):020x}"


class Connection:
    """What the rest of the package sees of a socket: its grant, user and subscriptions."""

    def __init__(self, rt: Realtime, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.rt = rt
        self.scope = scope
        self._receive = receive
        self._send = send
        self.grant: ChatGrant | None = None
        self.user_sid = ""
        self.subscribed: set[str] = set()
        self.presence_row = 0  # its realtime_connections row (presence.py)
        # object sid → live events held back while that object's replay is being queued (cds.py)
        self.replaying: dict[str, list[SyncEvent]] = {}
        self._out: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._expiry: list[asyncio.TimerHandle] = []
        self._closed = False
        self.id = uuid.uuid4().hex

    # -- sending ---------------------------------------------------------------------------

    def push(self, header: dict[str, Any], payload: Any = None) -> None:
        if self._closed:
            return
        if self._out.qsize() >= MAX_QUEUED:  # a client that stopped reading: it reconnects and replays
            log.warning("realtime socket %s: %d frames unsent, closing it", self.id[:8], MAX_QUEUED)
            self.close(503, "SERVICE_UNAVAILABLE")
            return
        if log.isEnabledFor(logging.DEBUG):
            log.debug("realtime %s ← %s %s", self.id[:8], header, payload)
        self._out.put_nowait(framing.encode(header, payload))

    def notify(self, message_type: str, payload: Any) -> None:
        """`payload`: JSON-able, or JSON already encoded (bytes: one event pushed to many sockets is
        encoded once, realtime/hub.py)."""
        header = {"method": "notification", "id": frame_id(), "message_type": message_type}
        if isinstance(payload, bytes):
            header["payload_type"] = "application/json"
        self.push(header, payload)

    def reply(self, request_id: str | None, status: dict[str, Any], payload: Any = None, **extra: Any) -> None:
        self.push({"method": "reply", "id": request_id, "status": status, **extra}, payload)

    def close(self, code: int, status: str) -> None:
        """Server `close`, then drop the socket (else the client stalls 3 s first)."""
        if self._closed:
            return
        frame = {"method": "close", "id": frame_id(), "status": {"code": code, "status": status}}
        self._out.put_nowait(framing.encode(frame))
        self._closed = True
        self._out.put_nowait(None)

    def hang_up(self) -> None:
        if not self._closed:
            self._closed = True
            self._out.put_nowait(None)

    async def _writer(self) -> None:
        while True:
            data = await self._out.get()
            if data is None:
                with contextlib.suppress(Exception):
                    await self._send({"type": "websocket.close", "code": 1000})
                return
            await self._send({"type": "websocket.send", "bytes": data})

    # -- the socket's life -----------------------------------------------------------------

    async def run(self) -> None:
        first = await self._receive()
        if first["type"] != "websocket.connect":
            return
        await self._send({"type": "websocket.accept"})
        writer = asyncio.create_task(self._writer())
        pinger = asyncio.create_task(self._pinger())
        waiting_init = asyncio.get_running_loop().call_later(INIT_TIMEOUT, self._init_timeout)
        try:
            while not writer.done():
                message = await self._next_message(writer)
                if message is None or message["type"] == "websocket.disconnect":
                    break
                data = message.get("bytes")
                if data is None:  # text frames are not Twilsock's (the client sends binary only)
                    text = message.get("text")
                    data = text.encode() if text else b""
                try:
                    frame = framing.decode(data)
                except FrameError as exc:
                    log.info("closing a realtime socket: %s", exc)
                    self.close(406, "NOT_ACCEPTABLE")
                    continue
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("realtime %s → %s %s", self.id[:8], frame.header, frame.payload)
                if frame.method == "init":
                    waiting_init.cancel()
                try:
                    await self._on_frame(frame)
                except Exception as exc:  # a database fault during init/update: the client retries
                    report_background_failure(log, "realtime " + frame.method, exc)
                    failed = {"code": 503, "status": "SERVICE_UNAVAILABLE", "description": "try again"}
                    self.reply(frame.id, failed)
        finally:
            waiting_init.cancel()
            self._closed = True
            for handle in self._expiry:
                handle.cancel()
            for task in [pinger, *self._tasks]:
                task.cancel()
            self._out.put_nowait(None)
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(writer, 2)
            await self.rt.detach(self)

    async def _next_message(self, writer: asyncio.Task[None]) -> dict[str, Any] | None:
        """The next ASGI message, or None once the writer ended (the server closed the socket)."""
        receiving = asyncio.ensure_future(self._receive())
        done, _ = await asyncio.wait({receiving, writer}, return_when=asyncio.FIRST_COMPLETED)
        if receiving in done:
            result: dict[str, Any] = receiving.result()
            return result
        receiving.cancel()
        return None

    def _init_timeout(self) -> None:
        if self.grant is None:
            self.close(401, "UNAUTHORIZED")

    async def _pinger(self) -> None:
        while True:
            await asyncio.sleep(PING_INTERVAL)
            self.push({"method": "ping", "id": frame_id()})

    def spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_frame(self, frame: Frame) -> None:
        method = frame.method
        if method == "init":
            await self._init(frame)
        elif method == "update":
            await self._update(frame)
        elif method == "message":
            if self.grant is None:
                self.reply(frame.id, {"code": 401, "status": "UNAUTHORIZED", "description": "init first"})
            else:
                self.spawn(upstream.handle(self, frame))
        elif method in ("put_notification_ctx", "delete_notification_ctx"):
            self.reply(frame.id, OK)
        elif method == "close":  # the client is leaving: it wants no answer, only the socket closed
            self.hang_up()
        # `reply` (acks), `telemetry.v1`: nothing to answer.

    # -- tokens ----------------------------------------------------------------------------

    async def _verify(self, frame: Frame) -> ChatGrant | None:
        token = frame.header.get("token")
        try:
            async with self.rt.db.read() as tx:
                return await verify(tx, str(token or ""), self.rt.deps.clock.now())
        except TokenRefused as refused:
            self.reply(
                frame.id,
                {
                    "code": refused.status,
                    "status": "UNAUTHORIZED",
                    "errorCode": refused.code,
                    "description": refused.message,
                },
            )
            return None

    async def _init(self, frame: Frame) -> None:
        if self.grant is not None:
            self.reply(frame.id, {"code": 400, "status": "BAD_REQUEST", "description": "already initialized"})
            return
        grant = await self._verify(frame)
        if grant is None:
            asyncio.get_running_loop().call_later(REFUSED_LINGER, self.close, 401, "UNAUTHORIZED")
            return
        self.user_sid = await self.rt.user_for(grant)
        self.grant = grant
        self._schedule_expiry(grant)
        self.reply(
            frame.id,
            OK,
            continuation_token="CT" + uuid.uuid4().hex,
            capabilities=["client_update", "offline_storage"],
            offline_storage={"ip_messaging": {"storage_id": uuid.uuid4().hex}},  # fresh per socket (#121)
            init_registrations=[],
        )
        await self.rt.attach(self)

    async def _update(self, frame: Frame) -> None:
        grant = await self._verify(frame)
        if grant is None:  # terminal for the client, as a refused init is
            asyncio.get_running_loop().call_later(REFUSED_LINGER, self.close, 401, "UNAUTHORIZED")
            return
        current = self.grant
        if current is not None and (grant.account_sid, grant.service_sid, grant.identity) != (
            current.account_sid,
            current.service_sid,
            current.identity,
        ):
            # A token of another user or service on this socket: refused (docs/decisions.md #123).
            self.reply(
                frame.id,
                {"code": 401, "status": "UNAUTHORIZED", "errorCode": 20107, "description": "token of another user"},
            )
            asyncio.get_running_loop().call_later(REFUSED_LINGER, self.close, 401, "UNAUTHORIZED")
            return
        self.grant = grant
        self._schedule_expiry(grant)
        self.reply(frame.id, OK)

    def _schedule_expiry(self, grant: ChatGrant) -> None:
        for handle in self._expiry:
            handle.cancel()
        loop = asyncio.get_running_loop()
        left = grant.expires_at - self.rt.deps.clock.now()
        warn = max(0.0, left - min(ABOUT_TO_EXPIRE, left / 2))
        self._expiry = [
            loop.call_later(warn, self._about_to_expire),
            loop.call_later(max(0.0, left), self.close, 410, "TOKEN_EXPIRED"),
        ]

    def _about_to_expire(self) -> None:
        self.push(
            {
                "method": "client_update",
                "id": frame_id(),
                "client_update_type": "token_about_to_expire",
                "client_update_message": "Your token is about to expire. Time to update",
            }
        )
