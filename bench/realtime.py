"""Realtime benchmarks (issue 12): fan-out latency to connected chat clients, and what realtime
traffic costs the REST API. One `chinwag serve --workers 1` on SQLite.

    python -m bench.realtime [--clients 1000] [--members 100] [--messages 50] [--duration 5]

The clients are Twilsock connections made here (aiohttp WebSockets speaking the frames and the
subscription calls of Twilio's JavaScript client, the way tests/realtime drives the real one):
a thousand of the real client would need a thousand Node processes' worth of memory. Each one
signs in with an AccessToken made by twilio-python, as an app would, and subscribes to the
message lists of its conversations.

1. **fan-out**: `clients` users connected; `members` of them share one conversation. Messages are
   posted to it over REST one at a time (`--messages`, 10 a second); for every message and
   every member, the time from the POST leaving to the member's `list_item_added` arriving.
   Target: p99 < 200 ms.
2. **rest-under-realtime**: user fetches (wrk) while nothing is posted vs while messages are
   posted at 200 a second (bench/poster.py, a process of its own), spread over conversations of
   10 connected members each (2,000 pushes a second). Target: the fetch rate with posting >= 0.8x
   without.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import ChatGrant

from bench.servers import BENCH_DIR, cpus, free_port, pinned, python_env, serving

SID = "AC" + "d" * 32
TOKEN = "e" * 32
AUTH = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
LUA = BENCH_DIR / "lua" / "replay.lua"
SMALL = 10  # members of each of the other conversations
DEBUG = os.environ.get("RT_DEBUG")


def frame(header: dict[str, Any], payload: Any = None) -> bytes:
    body = b"" if payload is None else json.dumps(payload).encode()
    head = json.dumps({**header, "payload_size": len(body), "payload_type": "application/json"}).encode()
    return b"TWILSOCK V3.0 %d\r\n" % len(head) + head + b"\r\n" + body


def parse(data: bytes) -> tuple[dict[str, Any], Any]:
    first, rest = data.split(b"\r\n", 1)
    size = int(first.split(b" ")[2])
    header = json.loads(rest[:size])
    body = rest[size + 2 :]
    return header, (json.loads(body) if body else None)


class Client:
    """One chat client's socket: signs in, subscribes to message lists, notes arrivals."""

    def __init__(self, identity: str, token: str, lists: list[str]) -> None:
        self.identity = identity
        self.token = token
        self.lists = lists
        self.arrived: list[tuple[str, int, float]] = []  # (list sid, message index, time)
        self.established = asyncio.Event()
        self._pending: set[str] = set(lists)

    async def run(self, session: aiohttp.ClientSession, url: str) -> None:
        async with session.ws_connect(url, max_msg_size=0) as ws:
            await ws.send_bytes(frame({"method": "init", "id": "TMinit", "token": self.token, "capabilities": []}))
            header, _ = parse((await ws.receive()).data)
            if header.get("status", {}).get("code") != 200:
                raise RuntimeError(f"{self.identity}: init refused: {header}")
            request = {
                "host": "cds.us1.twilio.com",
                "path": "/v4/Subscriptions",
                "method": "POST",
                "params": {},
                "headers": {"Content-Type": "application/json"},
            }
            subscribe = {
                "event_protocol_version": 4,
                "action": "establish",
                "correlation_id": 1,
                "ttl_in_s": -1,
                "requests": [{"object_sid": s, "object_type": "list", "last_event_id": 0} for s in self.lists],
            }
            message = {"method": "message", "id": "TMsub", "active_grant": "ip_messaging", "http_request": request}
            await ws.send_bytes(frame(message, subscribe))
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.BINARY:
                    break
                header, payload = parse(msg.data)
                if DEBUG and self.identity == DEBUG:
                    print(self.identity, header, payload, flush=True)
                if header.get("method") != "notification" or not isinstance(payload, dict):
                    continue
                kind, event = payload.get("event_type"), payload.get("event") or {}
                if kind == "list_item_added":
                    self.arrived.append((event["list_sid"], int(event["item_index"]), time.time()))
                elif kind == "subscription_established":
                    self._pending.discard(event.get("object_sid"))
                    if not self._pending:
                        self.established.set()


def setup(client: httpx.Client, clients: int, members: int) -> tuple[str, list[str], dict[str, list[str]], str, str]:
    """The big conversation, the small ones, each identity's lists; an API key (sid, secret)."""
    key = client.post(f"/2010-04-01/Accounts/{SID}/Keys.json", data={"FriendlyName": "bench"}).json()
    service = client.get("/v1/Configuration").json()["default_chat_service_sid"]
    identities = [f"user{i}" for i in range(clients)]
    lists: dict[str, list[str]] = {i: [] for i in identities}
    big = client.post("/v1/Conversations", data={"FriendlyName": "big"}).json()["sid"]
    for identity in identities[:members]:
        client.post(f"/v1/Conversations/{big}/Participants", data={"Identity": identity}).raise_for_status()
        lists[identity].append(f"{big}.msgs")
    small = []
    for start in range(0, clients, SMALL):
        sid = client.post("/v1/Conversations", data={"FriendlyName": f"small {start}"}).json()["sid"]
        small.append(sid)
        for identity in identities[start : start + SMALL]:
            client.post(f"/v1/Conversations/{sid}/Participants", data={"Identity": identity}).raise_for_status()
            lists[identity].append(f"{sid}.msgs")
    return big, small, lists, key["sid"], key["secret"] + "|" + service


async def connect_all(
    session: aiohttp.ClientSession, url: str, lists: dict[str, list[str]], key_sid: str, secret_service: str
) -> tuple[list[Client], list[asyncio.Task[None]]]:
    secret, service = secret_service.split("|")
    clients = []
    for identity, wanted in lists.items():
        token = AccessToken(SID, key_sid, secret, identity=identity, ttl=3600)
        token.add_grant(ChatGrant(service_sid=service))
        clients.append(Client(identity, token.to_jwt(), wanted))
    tasks = []
    for i in range(0, len(clients), 50):  # 50 at a time: the server signs them in as fast as it can
        batch = clients[i : i + 50]
        started = [asyncio.create_task(c.run(session, url)) for c in batch]
        tasks += started
        waiting = [asyncio.create_task(c.established.wait()) for c in batch]
        await asyncio.wait(waiting, timeout=60)
        for task in started:
            if task.done() and task.exception() is not None:
                raise RuntimeError(f"a client failed: {task.exception()!r}")
        missing = [c.identity for c in batch if not c.established.is_set()]
        if missing:
            raise RuntimeError(f"{len(missing)} clients were not subscribed within 60 s: {missing[:5]}")
    return clients, tasks


async def fan_out(base: str, big: str, clients: list[Client], members: int, messages: int) -> dict[str, float]:
    sent: dict[int, float] = {}
    async with httpx.AsyncClient(base_url=base, auth=(SID, TOKEN), timeout=30) as rest:
        for i in range(messages):
            t0 = time.time()
            r = await rest.post(f"/v1/Conversations/{big}/Messages", data={"Author": "user0", "Body": f"m{i}"})
            sent[int(r.json()["index"])] = t0
            await asyncio.sleep(max(0.0, 0.1 - (time.time() - t0)))
        await asyncio.sleep(2)
    wanted = f"{big}.msgs"
    lat = sorted(
        (at - sent[index]) * 1000
        for c in clients[:members]
        for s, index, at in c.arrived
        if s == wanted and index in sent
    )
    expected = members * messages
    return {
        "deliveries": len(lat),
        "expected": expected,
        "p50_ms": round(lat[len(lat) // 2], 1),
        "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1),
        "max_ms": round(lat[-1], 1),
    }


def posting(base: str, small: list[str], rate: float, seconds: float) -> subprocess.Popen[str]:
    """bench/poster.py posting `rate` messages a second over `small` for `seconds`, on the cores
    the server does not have (its stdout: how many it posted)."""
    cmd = [sys.executable, "-m", "bench.poster", base, SID, TOKEN, str(rate), str(seconds), *small]
    return subprocess.Popen(pinned(cmd, cpus()[1]), env=python_env(), stdout=subprocess.PIPE, text=True)


def wrk(base: str, requests: Path, seconds: int) -> float:
    cmd = ["taskset", "-c", cpus()[1] or "0", "wrk", "-t1", "-c32", f"-d{seconds}s", "--timeout", "10s"]
    cmd += ["-s", str(LUA), base, "--", str(requests), AUTH]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("BENCH_JSON "))
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    return float(raw["requests"] / (raw["duration_us"] / 1e6))


async def rest_under_realtime(
    base: str, small: list[str], users: list[str], work: Path, duration: int
) -> dict[str, Any]:
    requests = work / "fetch.requests"
    requests.write_text("".join(f"GET\t/v1/Users/{u}\n" for u in users))
    loop = asyncio.get_running_loop()
    rates: dict[str, list[float]] = {"quiet": [], "posting": []}
    for _ in range(2):
        rates["quiet"].append(await loop.run_in_executor(None, wrk, base, requests, duration))
        poster = posting(base, small, 200, duration + 1)
        await asyncio.sleep(0.5)
        rates["posting"].append(await loop.run_in_executor(None, wrk, base, requests, duration))
        out, _ = await loop.run_in_executor(None, poster.communicate)
        if poster.returncode != 0:
            raise RuntimeError("bench.poster failed")
        posted = int(out)
    quiet, busy = statistics.mean(rates["quiet"]), statistics.mean(rates["posting"])
    return {
        "fetch_quiet_rps": round(quiet),
        "fetch_posting_rps": round(busy),
        "ratio": round(busy / quiet, 3),
        "posted_last_round": posted,
        "target": ">= 0.8",
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--duration", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chinwag-realtime-bench-"))
    results: dict[str, object] = {}
    with ExitStack() as stack:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = python_env() | {"CHINWAG_ACCOUNT_SID": SID, "CHINWAG_AUTH_TOKEN": TOKEN}
        cmd = [sys.executable, "-m", "chinwag", "serve", "--port", str(port), "--workers", "1"]
        cmd += ["--database", f"sqlite:///{work / 'bench.db'}"]
        server_cpu, others = cpus()
        stack.enter_context(serving(pinned(cmd, server_cpu), env, work / "chinwag.log", base + "/health"))
        if others is not None:  # this process (clients, poster) off the server's core
            os.sched_setaffinity(0, {int(c) for c in others.split(",")})
        rest = stack.enter_context(httpx.Client(base_url=base, auth=(SID, TOKEN), timeout=60))
        big, small, lists, key_sid, secret_service = setup(rest, args.clients, args.members)
        users = [u["sid"] for u in rest.get("/v1/Users", params={"PageSize": 1000}).json()["users"]]

        async def run() -> None:
            # The same fetches and posts before any client connects: what posting itself costs.
            alone = await rest_under_realtime(base, small, users, work, args.duration)
            results["rest-while-posting-no-clients"] = alone
            print(f"REST user fetch while posting 200/s, no client connected: {alone}", flush=True)
            started = time.monotonic()
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))  # no 100-socket cap
            url = base.replace("http", "ws") + "/v3/wsconnect"
            clients, tasks = await connect_all(session, url, lists, key_sid, secret_service)
            print(f"{len(clients)} clients connected in {time.monotonic() - started:.1f} s", flush=True)
            fan = await fan_out(base, big, clients, args.members, args.messages)
            results["fan-out"] = fan | {"clients": len(clients), "members": args.members, "target": "p99 < 200 ms"}
            print(f"fan-out to {args.members} of {len(clients)} clients: {fan}", flush=True)
            under = await rest_under_realtime(base, small, users, work, args.duration)
            results["rest-under-realtime"] = under
            print(f"REST user fetch while posting 200/s to connected clients: {under}", flush=True)
            for task in tasks:
                task.cancel()
            await session.close()

        asyncio.run(run())
    out = BENCH_DIR / "results"
    out.mkdir(exist_ok=True)
    (out / "realtime.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
