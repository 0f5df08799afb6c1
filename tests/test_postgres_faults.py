"""PostgreSQL connections terminated under load (pg_terminate_backend, as an operator or a server
restart does): a transaction lost before its COMMIT runs again on a fresh connection; whatever
cannot be saved is a 503, never a 500, and nothing is written twice (docs/decisions.md #51)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import httpx

from chinwag import bootstrap
from tests.conftest import error_of
from tests.support.servers import PG_BASE, Server, free_port, pg_schema

WRITERS = 20
SECONDS = 5.0
EVERY = 1.0  # seconds between rounds of terminations: each round ends every connection the server has


def terminate_backends(application_name: str) -> int:
    """End every server connection of this test's server (and only those: other sessions on the
    machine's PostgreSQL are not ours)."""

    async def run() -> int:
        conn = await asyncpg.connect(PG_BASE)
        try:
            rows = await conn.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", application_name
            )
            return len(rows)
        finally:
            await conn.close()

    return asyncio.run(run())


def test_terminated_connections_are_retried_or_503_never_500(tmp_path: Path) -> None:
    name = "chinwag_fault_" + uuid.uuid4().hex[:10]
    with pg_schema() as schema_url:
        url = f"{schema_url}&application_name={name}"
        server = Server(url, free_port(), tmp_path / "server.log")
        server.start()
        try:
            sid, token = bootstrap.create_account(url)
            auth = (sid, token)
            conv = httpx.post(server.url + "/v1/Conversations", auth=auth).json()["sid"]
            statuses: dict[str, int] = {}
            unknown: set[str] = set()  # 503s whose COMMIT was cut: applied or not, the server cannot know
            done = threading.Event()

            def writer(n: int) -> None:
                with httpx.Client(base_url=server.url, auth=auth, timeout=30) as http:
                    i = 0
                    while not done.is_set():
                        body = f"w{n}-{i}"
                        response = http.post(f"/v1/Conversations/{conv}/Messages", data={"Body": body})
                        statuses[body] = response.status_code
                        if response.status_code == 503:
                            error = error_of(response)
                            assert error["code"] == 20503
                            if "may or may not" in error["message"]:
                                unknown.add(body)
                        i += 1

            terminated = 0
            with ThreadPoolExecutor(WRITERS) as pool:
                futures = [pool.submit(writer, n) for n in range(WRITERS)]
                deadline = time.monotonic() + SECONDS
                while time.monotonic() < deadline:
                    time.sleep(EVERY)
                    terminated += terminate_backends(name)
                done.set()
                for future in futures:
                    future.result()

            counts = Counter(statuses.values())
            assert terminated >= 8, "the test should have cut connections under load"
            assert set(counts) <= {201, 503}, counts
            assert counts[201] >= 0.9 * len(statuses), counts  # retried, not refused
            # Every acknowledged message is there once; nothing is there twice; nothing unsent is.
            # Every page: 20 writers for 5 s can post more than one page of 1000.
            stored: Counter[str] = Counter()
            page_url: str | None = server.url + f"/v1/Conversations/{conv}/Messages?PageSize=1000"
            while page_url:
                page = httpx.get(page_url, auth=auth, timeout=30).json()
                stored.update(m["body"] for m in page["messages"])
                page_url = page["meta"]["next_page_url"]
            assert max(stored.values()) == 1
            assert set(stored) <= set(statuses)
            assert {b for b, s in statuses.items() if s == 201} <= set(stored)
            assert {b for b in stored if statuses[b] == 503} <= unknown  # a plain 503 wrote nothing
            assert "Traceback" not in server.log_path.read_text()
        finally:
            server.stop()
