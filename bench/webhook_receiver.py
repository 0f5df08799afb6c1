"""A fast webhook receiver for bench/webhooks.py: asyncio streams, HTTP/1.1 keep-alive, answers 200
to everything and notes when each event arrived (by MessageSid). `GET /stats` returns what it saw.

    python -m bench.webhook_receiver --port P
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from urllib.parse import parse_qsl

seen: dict[str, float] = {}
total = 0


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global total
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target = lines[0].split(" ")[:2]
            length = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            if method == "GET" and target == "/stats":
                payload = json.dumps({"total": total, "seen": seen}).encode()
                reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(
                    payload
                )
                writer.write(reply + payload)
            else:
                now = time.time()
                total += 1
                sid = dict(parse_qsl(body.decode())).get("MessageSid")
                if sid is not None:
                    seen.setdefault(sid, now)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
