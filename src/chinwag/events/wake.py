"""Waking the delivery process from a worker (SQLite): one datagram on a Unix socket.

PostgreSQL needs none of this (a transaction's NOTIFY reaches every listener). On SQLite a worker
that committed deliveries sends one byte to the delivery process of its own `chinwag serve`; the
socket is named after that server's process id, which workers and the delivery process both see
as their parent. A lost datagram costs nothing but latency: the dispatcher also polls
(`--webhook-poll`, 1 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import tempfile
from collections.abc import Callable


def path_for(server_pid: int) -> str:
    return os.path.join(tempfile.gettempdir(), f"chinwag-{server_pid}-outbox.sock")


class Poker:
    """The worker's end: `poke()` after a commit; never blocks, never raises."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._sock: socket.socket | None = None

    def poke(self) -> None:
        if self._sock is None:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._sock.setblocking(False)
        # Full buffer (the process is busy and will look anyway), or not listening yet: fine.
        with contextlib.suppress(OSError):
            self._sock.sendto(b"!", self._path)


class Listener:
    def __init__(self, sock: socket.socket, path: str) -> None:
        self._sock = sock
        self._path = path

    def close(self) -> None:
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
        self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path)


def listen(path: str, on_wake: Callable[[], None]) -> Listener:
    """The delivery process's end: `on_wake()` whenever datagrams arrived (drained at once)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # left by a process that was killed
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setblocking(False)

    def readable() -> None:
        with contextlib.suppress(BlockingIOError):
            while sock.recv(64):
                pass
        on_wake()

    asyncio.get_running_loop().add_reader(sock.fileno(), readable)
    return Listener(sock, path)
