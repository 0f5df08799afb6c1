"""The webhook HTTP client (events/http_client.py) against real sockets: keep-alive, answers
that close, stale kept connections, chunked and oversized answers, a receiver that goes silent.
Through a running server the same client is covered by every webhook delivery test."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from chinwag.events import http_client
from chinwag.events.http_client import HttpClient, ResponseTooLarge, Timeouts

FAST = Timeouts(connect=2, read=2, total=5)
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _request(client: HttpClient, port: int, timeouts: Timeouts = FAST) -> tuple[int, bytes]:
    head = f"POST /hook HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 3\r\n\r\n".encode()
    return await client.request(
        address="127.0.0.1", port=port, tls_name=None, head=head, body=b"a=b", timeouts=timeouts
    )


async def _read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))
    await reader.readexactly(length)


def _run(handler: Handler, test: Callable[[int, list[int]], Awaitable[None]]) -> list[int]:
    """Serve `handler` on a free port and run `test(port, connections)`; `connections` counts the
    connections the server accepted."""
    connections: list[int] = []

    async def main() -> None:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            connections.append(1)
            try:
                await handler(reader, writer)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(accept, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            await test(port, connections)

    asyncio.run(main())
    return connections


async def _keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()


def test_connections_are_kept_alive_and_reused() -> None:
    async def test(port: int, connections: list[int]) -> None:
        client = HttpClient()
        for _ in range(5):
            assert await _request(client, port) == (204, b"")
        client.close()

    assert len(_run(_keep_alive, test)) == 1


def test_an_answer_that_closes_is_not_reused() -> None:
    async def closing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()

    async def test(port: int, connections: list[int]) -> None:
        client = HttpClient()
        assert await _request(client, port) == (200, b"ok")
        assert await _request(client, port) == (200, b"ok")
        client.close()

    assert len(_run(closing, test)) == 2


def test_a_kept_connection_the_receiver_dropped_is_replaced() -> None:
    async def one_then_drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)  # answers keep-alive, then hangs up without saying so
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    async def test(port: int, connections: list[int]) -> None:
        client = HttpClient()
        assert (await _request(client, port))[0] == 200
        await asyncio.sleep(0.05)  # the drop reaches the client
        assert (await _request(client, port))[0] == 200
        client.close()

    assert len(_run(one_then_drop, test)) == 2


def test_a_chunked_answer_is_read_whole() -> None:
    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n5\r\n": 1}\r\n0\r\n\r\n')
        await writer.drain()
        await reader.read()

    async def test(port: int, connections: list[int]) -> None:
        client = HttpClient()
        assert await _request(client, port) == (200, b'{"a": 1}')
        client.close()

    _run(chunked, test)


def test_an_oversized_answer_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_client, "MAX_BODY", 100)

    async def big(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 1000)
        await writer.drain()
        await reader.read()

    async def test(port: int, connections: list[int]) -> None:
        client = HttpClient()
        with pytest.raises(ResponseTooLarge):
            await _request(client, port)
        client.close()

    _run(big, test)


def test_a_silent_receiver_times_out_on_the_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await asyncio.sleep(5)

    async def test(port: int, connections: list[int]) -> None:
        client = HttpClient()
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimeoutError):
            await _request(client, port, Timeouts(connect=2, read=0.3, total=4))
        assert loop.time() - started < 2
        client.close()

    _run(silent, test)
