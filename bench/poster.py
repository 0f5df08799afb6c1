"""Messages posted at a steady rate, from a process of its own (bench/realtime.py's second part).

    python -m bench.poster BASE_URL ACCOUNT_SID AUTH_TOKEN RATE SECONDS CONVERSATION_SID...

Prints how many were posted. Why a process: posting from the benchmark's own event loop, beside
the thousand Twilsock clients it drives and the thread that waits for wrk, lowered the fetch rate
by 11-18 % even when the "posts" were requests the server answers at once (a 404): the client
side, not the server, was being measured. From a process of its own the same requests cost the
fetch rate ~5 %, what serving them costs.
"""

from __future__ import annotations

import asyncio
import sys
import time

import httpx


async def post_at(base: str, auth: tuple[str, str], conversations: list[str], rate: float, seconds: float) -> int:
    """Messages at `rate` a second over `conversations` in turn, for `seconds`; how many."""
    done = 0
    async with httpx.AsyncClient(base_url=base, auth=auth, timeout=30) as rest:
        started = time.monotonic()

        async def one(i: int) -> None:
            nonlocal done
            sid = conversations[i % len(conversations)]
            r = await rest.post(f"/v1/Conversations/{sid}/Messages", data={"Author": "bench", "Body": f"p{i}"})
            r.raise_for_status()
            done += 1

        tasks = []
        i = 0
        while time.monotonic() - started < seconds:
            tasks.append(asyncio.create_task(one(i)))
            i += 1
            await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
        await asyncio.gather(*tasks)
    return done


def main() -> int:
    base, sid, token, rate, seconds, *conversations = sys.argv[1:]
    print(asyncio.run(post_at(base, (sid, token), conversations, float(rate), float(seconds))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
