"""The HTTP/1.1 client webhooks go out through: keep-alive connections on asyncio protocols, the
response parsed by httptools (the C parser of llhttp, as uvicorn uses).

Why not aiohttp's client (used before): on the bench (bench/webhooks.py) one aiohttp request cost
about as much CPU as serving one message POST, and delivery runs in the server's own event loop,
so every delivered event slowed posting by as much again. This client does only what a webhook
needs (one request, the whole answer, no redirects, no cookies, no proxies) for a fraction of that.

The caller (sender.py) has already resolved and checked the address (ssrf.py); this module
connects to exactly that address, with the original host name for TLS SNI and certificate checks.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from dataclasses import dataclass

import httptools

MAX_BODY = 1 << 20  # bytes of an answer kept; a longer answer is cut and its connection closed
IDLE_KEPT = 64  # idle connections kept per address


class ResponseTooLarge(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect: float
    read: float  # longest silence while waiting for the answer
    total: float


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection; answers are parsed as they arrive."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[tuple[int, bytes]] | None = None
        self._body = bytearray()
        self._complete = False
        self._keep_alive = False
        self._overflow = False
        self._silence: asyncio.TimerHandle | None = None
        self._read_timeout = 0.0

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._stop_silence()
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(exc or ConnectionResetError("the receiver closed the connection"))

    def data_received(self, data: bytes) -> None:
        if self._answer is None or self._answer.done():
            self.close()  # bytes nobody asked for: the connection cannot be trusted any more
            return
        self._restart_silence()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(ConnectionError("the receiver switched protocols"))
        except httptools.HttpParserError as exc:
            if self._overflow:  # on_body's refusal, wrapped by the parser
                self._fail(ResponseTooLarge(f"the answer is longer than {MAX_BODY} bytes"))
            else:
                self._fail(ConnectionError(f"malformed HTTP answer: {exc}"))

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        if len(self._body) + len(body) > MAX_BODY:
            self._overflow = True
            raise ResponseTooLarge
        self._body += body

    def on_message_complete(self) -> None:
        self._complete = True
        # Asked now: the parser forgets the answer's keep-alive once the message is over.
        self._keep_alive = self._parser.should_keep_alive()
        self._stop_silence()
        if self._answer is not None and not self._answer.done():
            self._answer.set_result((self._parser.get_status_code(), bytes(self._body)))

    # the request
    async def exchange(self, request: bytes, read_timeout: float) -> tuple[int, bytes]:
        assert self.transport is not None
        self._answer = self._loop.create_future()
        self._body.clear()
        self._complete = False
        self._keep_alive = False
        self._overflow = False
        self._parser = httptools.HttpResponseParser(self)
        self._read_timeout = read_timeout
        self._restart_silence()
        self.transport.write(request)
        try:
            return await self._answer
        finally:
            self._stop_silence()
            self._answer = None

    @property
    def reusable(self) -> bool:
        return not self.closed and self._complete and self._keep_alive

    def close(self) -> None:
        self.closed = True
        self._stop_silence()
        if self.transport is not None:
            self.transport.close()

    def _fail(self, exc: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(exc)
        self.close()

    def _restart_silence(self) -> None:
        self._stop_silence()
        self._silence = self._loop.call_later(self._read_timeout, self._fail, TimeoutError())

    def _stop_silence(self) -> None:
        if self._silence is not None:
            self._silence.cancel()
            self._silence = None


Key = tuple[str, int, str | None]  # address, port, TLS server name (None: plain HTTP)


class HttpClient:
    """Keep-alive connections per (address, port, TLS name); one request at a time on each."""

    def __init__(self) -> None:
        self._idle: dict[Key, deque[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None

    async def request(
        self,
        *,
        address: str,
        port: int,
        tls_name: str | None,
        head: bytes,
        body: bytes,
        timeouts: Timeouts,
    ) -> tuple[int, bytes]:
        """Send `head` (request line and headers, ending in a blank line) and `body`; the answer's
        status and body. Raises TimeoutError, OSError/ConnectionError, ResponseTooLarge."""
        key = (address, port, tls_name)
        async with asyncio.timeout(timeouts.total):
            conn = self._take(key)
            if conn is not None:
                try:
                    return await self._finish(key, conn, head + body, timeouts)
                except ConnectionError:
                    # A kept connection the receiver had closed meanwhile: once more on a new one
                    # (at least once is the contract; the idempotency token marks the repeat).
                    pass
            conn = await asyncio.wait_for(self._connect(key), timeouts.connect)
            return await self._finish(key, conn, head + body, timeouts)

    async def _finish(self, key: Key, conn: _Connection, data: bytes, timeouts: Timeouts) -> tuple[int, bytes]:
        try:
            answer = await conn.exchange(data, timeouts.read)
        except BaseException:
            conn.close()
            raise
        if conn.reusable:
            idle = self._idle.setdefault(key, deque())
            if len(idle) < IDLE_KEPT:
                idle.append(conn)
                return answer
        conn.close()
        return answer

    def _take(self, key: Key) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            if not conn.closed:
                return conn
        return None

    async def _connect(self, key: Key) -> _Connection:
        address, port, tls_name = key
        loop = asyncio.get_running_loop()
        if tls_name is None:
            _, conn = await loop.create_connection(lambda: _Connection(loop), address, port)
        else:
            _, conn = await loop.create_connection(
                lambda: _Connection(loop), address, port, ssl=self._context(), server_hostname=tls_name
            )
        return conn

    def _context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()  # verifies the receiver's certificate and name
        return self._tls

    def close(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
