"""Every distinct SQL statement the server runs, and which function ran it: a test aid
(`CHINWAG_SQL_RECORD=PREFIX`, tests/test_account_scoping.py), off unless that variable is set.

When on, the `Tx` methods of both engines are wrapped once at start, so the request path pays
nothing when it is off. Each process appends to its own file, `PREFIX.<pid>`, one JSON line per
new (statement, caller) pair; the caller is the first function outside the driver layer and the
paging helper.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

_originals: dict[tuple[type, str], Any] = {}
_seen: set[tuple[str, str]] = set()
_lock = threading.Lock()
# Not callers: the driver layer, and the paging helper that runs the SQL its callers built.
_SKIP = ("chinwag.storage.db", "chinwag.storage.pg_tx", "chinwag.storage.repos.paging", __name__)


def install(prefix: str) -> None:
    """Wrap `SqliteTx` and `PostgresTx` (idempotent)."""
    if _originals:
        return
    from chinwag.storage.db import TX_CLASSES

    path = f"{prefix}.{os.getpid()}"
    for cls in TX_CLASSES:
        for name in ("one", "all", "values", "run", "at_commit"):
            _originals[(cls, name)] = getattr(cls, name)
            setattr(cls, name, _recording(getattr(cls, name), path))


def uninstall() -> None:
    """Unwrap again (a test that recorded in its own process)."""
    for (cls, name), method in _originals.items():
        setattr(cls, name, method)
    _originals.clear()
    _seen.clear()


def _caller() -> str:
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_SKIP):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "?"
    return f"{frame.f_globals.get('__name__')}.{frame.f_code.co_name}"


def _recording(method: Callable[..., Coroutine[Any, Any, Any]], path: str) -> Callable[..., Coroutine[Any, Any, Any]]:
    @functools.wraps(method)
    async def recorded(self: Any, sql: str, *args: Any) -> Any:
        key = (sql, _caller())
        if key not in _seen:
            with _lock:
                if key not in _seen:
                    _seen.add(key)
                    with open(path, "ab") as out:
                        out.write(orjson.dumps({"sql": sql, "caller": key[1], "engine": self.engine}) + b"\n")
        return await method(self, sql, *args)

    return recorded
