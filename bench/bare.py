"""The baseline: a raw ASGI callable (no framework, no database) answering every request with one
fixed JSON body, served by granian exactly as `chinwag serve` serves chinwag.

    python -m bench.bare --port P --body FILE

The body is a response chinwag itself gave for the scenario, byte for byte, so both servers send
the same number of bytes with the same headers and the ratio measures only what chinwag does
between reading the request and writing the response: routing, auth, the query, rendering.
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

    async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await send(start)
            await send(finish)
        elif scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--body", type=Path, required=True, help="file holding the response body")
    args = parser.parse_args()
    os.environ[BODY_ENV] = str(args.body.resolve())

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
