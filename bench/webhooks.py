"""Webhook benchmarks (issue 9): the cost of a post-event hook on posting, delivery throughput,
commit-to-delivery latency. One `chinwag serve --workers 1` on SQLite, a fast loopback receiver
(bench/webhook_receiver.py), wrk for the posting rates.

    python -m bench.webhooks [--duration 5] [--rounds 4] [--events 5000]

1. **post-message-hooked**: `POST …/Messages` with `X-Twilio-Webhook-Enabled: true`, the account's
   post-event URL set to the receiver vs unset (same server, same requests, rounds alternating).
   Target >= 0.8x. The delivery process `chinwag serve` starts beside its worker delivers meanwhile,
   as it would in production; the rounds alternate which side goes first.
2. **delivery-throughput**: `events` messages are posted by a server that does not deliver
   (`CHINWAG_WEBHOOK_DISPATCH=0`), filling the outbox; then a normal server starts on the same
   database and drains it: events/s from the first to the last arrival. Target ≥ 1,000/s.
3. **delivery-latency**: messages posted by 8 concurrent clients with the hook on; per message, the
   time from its outbox row being written (`created_at`, inside the transaction, so it includes the
   group COMMIT) to its arrival at the receiver: p50 and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench.servers import BENCH_DIR, children, cpus, free_port, pinned, python_env, serving

SID = "AC" + "b" * 32
TOKEN = "c" * 32
AUTH = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
LUA = BENCH_DIR / "lua" / "replay.lua"
HEADER = "X-Twilio-Webhook-Enabled: true"


def chinwag(db: str, log: Path, dispatch: bool = True) -> tuple[list[str], dict[str, str], str]:
    port = free_port()
    env = python_env() | {"CHINWAG_ACCOUNT_SID": SID, "CHINWAG_AUTH_TOKEN": TOKEN}
    env["CHINWAG_WEBHOOK_DISPATCH"] = "1" if dispatch else "0"
    cmd = [sys.executable, "-m", "chinwag", "serve", "--port", str(port), "--workers", "1", "--database", db]
    cmd += ["--webhook-allow", "127.0.0.0/8"]
    return cmd, env, f"http://127.0.0.1:{port}"


def stats(receiver: str) -> dict[str, object]:
    with urllib.request.urlopen(receiver + "/stats", timeout=30) as r:
        data: dict[str, object] = json.loads(r.read())
        return data


def set_hook(client: httpx.Client, url: str) -> None:
    r = client.post("/v1/Configuration/Webhooks", data={"PostWebhookUrl": url, "Filters": "onMessageAdded"})
    r.raise_for_status()


def setup(client: httpx.Client, chats: int = 100) -> list[tuple[str, str]]:
    """`chats` conversations of 4 members; returns (conversation, author) pairs to post as."""
    pairs = []
    for c in range(chats):
        sid = client.post("/v1/Conversations", data={"FriendlyName": f"bench {c}"}).json()["sid"]
        for a in range(4):
            identity = f"user{c}-{a}"
            client.post(f"/v1/Conversations/{sid}/Participants", data={"Identity": identity}).raise_for_status()
            pairs.append((sid, identity))
    return pairs


SERVER_CPU, OTHER_CPUS = cpus()  # None, None with --no-pin (set in main)


def start(stack: ExitStack, cmd: list[str], env: dict[str, str], log: Path, health: str) -> None:
    """`chinwag serve` pinned to the server's CPU as bench/run pins it, except for the webhook
    delivery process it starts beside its worker: that one may run on any CPU, as it would on a
    production machine with a core to spare (it runs at nice 10 and yields to requests where it
    shares one; events/delivery_process.py)."""
    proc = stack.enter_context(serving(pinned(cmd, SERVER_CPU), env, log, health))
    if SERVER_CPU is not None:
        for pid in children(proc.pid):
            if b"delivery_process" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.sched_setaffinity(pid, os.sched_getaffinity(0) | {int(SERVER_CPU)})


def receiving(stack: ExitStack, work: Path, name: str) -> str:
    """The receiver, on the load generator's CPUs: it stands for an app on another machine."""
    rport = free_port()
    receiver = f"http://127.0.0.1:{rport}"
    rcmd = [sys.executable, "-m", "bench.webhook_receiver", "--port", str(rport)]
    stack.enter_context(serving(pinned(rcmd, OTHER_CPUS), python_env(), work / name, receiver + "/stats"))
    return receiver


def wrk(base: str, requests: Path, seconds: int) -> float:
    cmd = pinned(["wrk", "-t2", "-c32", f"-d{seconds}s", "--timeout", "10s"], OTHER_CPUS)
    cmd += ["-s", str(LUA), base, "--", str(requests)]
    cmd += [AUTH, HEADER]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("BENCH_JSON "))
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    if raw["errors"]["status"]:
        raise RuntimeError(f"wrk saw {raw['errors']['status']} non-2xx answers")
    return float(raw["requests"] / (raw["duration_us"] / 1e6))


def drain(client: httpx.Client, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = client.get("/_chinwag/v1/WebhookDeliveries", params={"Status": "pending", "PageSize": "1"}).json()
        if not page["deliveries"]:
            return
        time.sleep(0.2)
    raise RuntimeError("the outbox did not drain")


async def post_many(base: str, pairs: list[tuple[str, str]], count: int, concurrency: int) -> dict[str, float]:
    """Post `count` messages; each message SID with the time its 201 arrived."""
    done: dict[str, float] = {}
    queue = iter(range(count))
    headers = {"X-Twilio-Webhook-Enabled": "true"}
    async with httpx.AsyncClient(base_url=base, auth=(SID, TOKEN), headers=headers, timeout=30) as client:

        async def worker() -> None:
            for i in queue:
                sid, author = pairs[i % len(pairs)]
                r = await client.post(f"/v1/Conversations/{sid}/Messages", data={"Author": author, "Body": f"m{i}"})
                done[r.json()["sid"]] = time.time()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


def written_at(path: Path) -> dict[str, float]:
    """Each message event's outbox `created_at` (epoch seconds), by MessageSid."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT params, created_at FROM webhook_deliveries").fetchall()
    finally:
        conn.close()
    return {dict(json.loads(p)).get("MessageSid", ""): t for p, t in rows}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=4, help="an even number: the sides alternate going first")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument(
        "--emit-only", action="store_true", help="posting ratio only, with no delivery in the server (the outbox cost)"
    )
    parser.add_argument("--no-pin", action="store_true", help="no CPU pinning (bench/README.md, Choices)")
    args = parser.parse_args()
    if args.no_pin:
        global SERVER_CPU, OTHER_CPUS
        SERVER_CPU, OTHER_CPUS = None, None
    work = Path(tempfile.mkdtemp(prefix="chinwag-webhook-bench-"))
    db = f"sqlite:///{work / 'bench.db'}"
    results: dict[str, object] = {}
    if OTHER_CPUS is not None:  # this process (set-up, the latency clients) off the server's core
        os.sched_setaffinity(0, {int(c) for c in OTHER_CPUS.split(",")})
    with ExitStack() as stack:
        receiver = receiving(stack, work, "receiver.log")

        # 1. posting with and without a post-event hook
        cmd, env, base = chinwag(db, work / "a.log", dispatch=not args.emit_only)
        start(stack, cmd, env, work / "chinwag-a.log", base + "/health")
        client = stack.enter_context(httpx.Client(base_url=base, auth=(SID, TOKEN), timeout=60))
        pairs = setup(client)
        lines = [f"POST\t/v1/Conversations/{s}/Messages\t{urlencode({'Author': a, 'Body': 'Hello, bench.'})}\n"
                 for s, a in pairs]  # fmt: skip
        requests = work / "post.requests"
        requests.write_text("".join(lines))
        rates: dict[str, list[float]] = {"without": [], "with": []}
        for n in range(args.rounds):
            # ABBA: every round's posts grow the database, which slows the next round a little, so
            # the sides take turns going first (always "without" first favoured it).
            for side in ("without", "with") if n % 2 == 0 else ("with", "without"):
                set_hook(client, receiver + "/hook" if side == "with" else "")
                wrk(base, requests, 1)  # warm-up
                rates[side].append(wrk(base, requests, args.duration))
                if not args.emit_only:
                    drain(client)
        without, with_hook = statistics.mean(rates["without"]), statistics.mean(rates["with"])
        results["post-message-hooked"] = {
            "without_rps": round(without),
            "with_rps": round(with_hook),
            "ratio": round(with_hook / without, 3),
            "target": ">= 0.8",
        }
        print(f"post-message: without hook {without:,.0f}/s, with hook {with_hook:,.0f}/s, "
              f"ratio {with_hook / without:.2f} (target >= 0.8)", flush=True)  # fmt: skip

        if args.emit_only:
            print(json.dumps(results))
            return 0
        # 3. commit-to-delivery latency (hook on)
        set_hook(client, receiver + "/hook")
        acked = asyncio.run(post_many(base, pairs, 2000, 8))
        drain(client)
        seen = stats(receiver)["seen"]
        assert isinstance(seen, dict)
        written = written_at(work / "bench.db")
        lat = sorted((seen[s] - written[s]) * 1000 for s in acked if s in seen and s in written)
        p50, p99 = lat[len(lat) // 2], lat[int(len(lat) * 0.99)]
        results["delivery-latency"] = {"p50_ms": round(p50, 2), "p99_ms": round(p99, 2), "events": len(lat)}
        print(f"commit-to-delivery latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms over {len(lat)} events", flush=True)
        stack.close()

    # 2. delivery throughput: fill the outbox with a non-delivering server, then drain it
    with ExitStack() as stack:
        receiver = receiving(stack, work, "receiver2.log")
        with ExitStack() as filling:
            cmd, env, base = chinwag(db, work / "b.log", dispatch=False)
            start(filling, cmd, env, work / "chinwag-b.log", base + "/health")
            client = filling.enter_context(httpx.Client(base_url=base, auth=(SID, TOKEN), timeout=60))
            set_hook(client, receiver + "/hook")
            pairs = setup(client, 50)
            asyncio.run(post_many(base, pairs, args.events, 16))
        cmd, env, base = chinwag(db, work / "c.log")
        start(stack, cmd, env, work / "chinwag-c.log", base + "/health")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            got = stats(receiver)
            if int(got["total"]) >= args.events:  # type: ignore[call-overload]
                break
            time.sleep(0.2)
        seen = stats(receiver)["seen"]
        assert isinstance(seen, dict)
        times = sorted(seen.values())
        rate = (len(times) - 1) / (times[-1] - times[0])
        results["delivery-throughput"] = {"events": len(times), "events_per_s": round(rate), "target": ">= 1000"}
        print(f"delivery throughput: {rate:,.0f} events/s over {len(times)} events (target >= 1,000)", flush=True)
    out = BENCH_DIR / "results"
    out.mkdir(exist_ok=True)
    (out / "webhooks.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
