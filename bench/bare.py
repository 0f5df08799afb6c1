"""The baseline: a raw ASGI callable (no framework, no database) answering every request with one
fixed JSON body, served by granian exactly as `chinwag serve` serves chinwag.

    python -m bench.bare --port P --body FILE [--pg-url URL]

The body is a response chinwag itself gave for the scenario, byte for byte, so both servers send
the same number of bytes with the same headers and the ratio measures only what chinwag does
between reading the request and writing the response: routing, auth, the query, rendering.

With `--pg-url` (the PostgreSQL baseline) the app also reads, for every request, the user whose
SID ends the path: one asyncpg query on a pool sized and reset as chinwag's (storage/db.py), a
primary-key-like read through `users`' unique SID index. That is the floor of any PostgreSQL-backed
fetch on this server: one round trip to the database and back.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

BODY_ENV = "BENCH_BARE_BODY"
PG_ENV = "BENCH_BARE_PG_URL"
READ = "SELECT record_json FROM users WHERE sid = $1"


async def _no_reset(_: object) -> None:
    """As chinwag's pool: nothing sent when a connection goes back (asyncpg's default costs a trip)."""


def create() -> ASGIApp:
    """Granian factory (as `chinwag.asgi:create` is): the body file is named by BENCH_BARE_BODY."""
    body = Path(os.environ[BODY_ENV]).read_bytes()
    start = {
        "type": "http.response.start",
        "status": 200,
        # What Starlette's Response sends for chinwag's JSON: same header names and value sizes.
        "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")],
    }
    finish = {"type": "http.response.body", "body": body}
    pg_url = os.environ.get(PG_ENV)
    pools: list[Any] = []

    async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if pools:
                await pools[0].fetchval(READ, scope["path"].rsplit("/", 1)[-1])
            await send(start)
            await send(finish)
        elif scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    if pg_url:
                        pools.append(await _pool(pg_url))
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    return app


async def _pool(url: str) -> Any:
    import asyncpg

    from chinwag.storage.dialect import postgres_target

    dsn, settings = postgres_target(url)
    return await asyncpg.create_pool(dsn, server_settings=settings, min_size=2, max_size=10, reset=_no_reset)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--body", type=Path, required=True, help="file holding the response body")
    parser.add_argument("--pg-url", help="read the path's user from this PostgreSQL database per request")
    args = parser.parse_args()
    os.environ[BODY_ENV] = str(args.body.resolve())
    if args.pg_url:
        os.environ[PG_ENV] = args.pg_url

    from granian import Granian
    from granian.constants import Interfaces

    # The same arguments as `chinwag serve` (src/chinwag/cli.py) passes: keep the two in step.
    Granian(
        "bench.bare:create",
        address=args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        workers=args.workers,
        factory=True,
        log_access=False,
    ).serve()


if __name__ == "__main__":
    main()
