"""SQLite faults against a real `chinwag serve`: a full disk is answered 503 in Twilio's body,
logged once per interval, and over by itself when space comes back, losing nothing acknowledged;
a database the server cannot write is refused at start (docs/decisions.md #50)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chinwag import bootstrap
from chinwag.storage import migrate
from tests.conftest import error_of, serving
from tests.support.servers import free_port

MAX_PAGES = 400  # 1.6 MB at 4 KiB pages: room for the schema and an account, then the test's filler


def fill_to_the_cap(path: Path) -> None:
    """Grow the file to MAX_PAGES through a connection of the test's own (the server's connections
    carry the same cap), until not one more page fits: the disk is full."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        conn.execute(f"PRAGMA max_page_count={MAX_PAGES}")
        conn.execute("CREATE TABLE IF NOT EXISTS filler (blob BLOB)")
        for size in (3000, 500, 50, 1):  # big rows first, then smaller ones into what is left
            with contextlib.suppress(sqlite3.OperationalError):
                for _ in range(10_000):
                    conn.execute("INSERT INTO filler VALUES (randomblob(?))", (size,))
        assert conn.execute("PRAGMA page_count").fetchone()[0] == MAX_PAGES
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
    finally:
        conn.close()


def free_space(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        conn.execute("DROP TABLE filler")  # its pages go to the free list: writes fit again
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] > 100
    finally:
        conn.close()


def test_a_full_disk_is_a_503_logged_once_and_over_by_itself(tmp_path: Path) -> None:
    env = {"CHINWAG_SQLITE_MAX_PAGE_COUNT": str(MAX_PAGES)}
    with serving("sqlite", tmp_path, extra_env=env) as running:
        sid, token = bootstrap.create_account(running.database_url)
        path = tmp_path / "chinwag.db"
        http = httpx.Client(base_url=running.url, auth=(sid, token), timeout=10)
        conv = http.post("/v1/Conversations", data={"FriendlyName": "full"}).json()["sid"]
        fill_to_the_cap(path)

        outcomes: dict[str, int] = {}
        for i in range(300):
            response = http.post(f"/v1/Conversations/{conv}/Messages", data={"Body": f"m{i}", "Author": "a"})
            assert response.status_code in (201, 503), response.text
            outcomes[f"m{i}"] = response.status_code
            if response.status_code == 503:
                body = error_of(response)
                assert body["code"] == 20503 and "disk-full" in body["message"], body
        refused = [b for b, status in outcomes.items() if status == 503]
        assert len(refused) > 250, "the full disk should refuse nearly every write"
        health = httpx.get(running.url + "/health").json()
        assert health["status"] == "degraded" and health["database"] == "disk-full", health
        # Reads still work.
        assert http.get(f"/v1/Conversations/{conv}").status_code == 200

        free_space(path)
        after = http.post(f"/v1/Conversations/{conv}/Messages", data={"Body": "after", "Author": "a"})
        assert after.status_code == 201, after.text
        outcomes["after"] = 201
        assert httpx.get(running.url + "/health").json() == {"status": "ok"}

        stored = [m["body"] for m in http.get(f"/v1/Conversations/{conv}/Messages?PageSize=1000").json()["messages"]]
        assert sorted(stored) == sorted(b for b, status in outcomes.items() if status == 201)
        log = running.server.log_path.read_text()
        assert "Traceback" not in log, log[-3000:]
        assert log.count("database fault (disk-full)") == 1, log[-3000:]
        assert "database writes work again" in log


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """`chattr +i`: not even root may write the file (root ignores permission bits)."""
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_database_the_server_cannot_write_is_refused_at_start(tmp_path: Path) -> None:
    path = tmp_path / "chinwag.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    bootstrap.create_account(url)
    port = free_port()
    cmd = [sys.executable, "-m", "chinwag", "serve", "--port", str(port), "--database", url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHINWAG_")}
    try:
        with immutable(path):
            refused = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        pytest.skip("chattr is not installed")
    assert refused.returncode == 1, refused
    assert "cannot write the database" in refused.stderr and "read-only" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    # Once the file is writable again, the same command serves.
    with serving("sqlite", tmp_path) as running:
        assert httpx.get(running.url + "/health").json() == {"status": "ok"}


def test_a_database_made_unwritable_while_serving_is_a_503_until_it_is_writable_again(tmp_path: Path) -> None:
    with serving("sqlite", tmp_path) as running:
        sid, token = bootstrap.create_account(running.database_url)
        http = httpx.Client(base_url=running.url, auth=(sid, token), timeout=20)
        conv = http.post("/v1/Conversations", data={"FriendlyName": "ro"}).json()["sid"]
        assert http.post(f"/v1/Conversations/{conv}/Messages", data={"Body": "before"}).status_code == 201
        wal = tmp_path / "chinwag.db-wal"
        assert wal.exists()
        with immutable(tmp_path / "chinwag.db"), immutable(wal):
            for i in range(20):
                response = http.post(f"/v1/Conversations/{conv}/Messages", data={"Body": f"refused{i}"})
                assert response.status_code == 503, response.text
                assert error_of(response)["code"] == 20503
            assert httpx.get(running.url + "/health").json()["status"] == "degraded"
            assert http.get(f"/v1/Conversations/{conv}/Messages").status_code == 200  # reads go on
        assert http.post(f"/v1/Conversations/{conv}/Messages", data={"Body": "after"}).status_code == 201
        assert httpx.get(running.url + "/health").json() == {"status": "ok"}
        bodies = [m["body"] for m in http.get(f"/v1/Conversations/{conv}/Messages").json()["messages"]]
        assert bodies == ["before", "after"]
        log = running.server.log_path.read_text()
        # Once per process at most: the worker's requests said it once, and the webhook delivery
        # process, if its first write (a prune at start) fell in the window, once more, as its own.
        assert "Traceback" not in log, log[-3000:]
        delivery = log.count("in the webhook delivery process")
        assert log.count("database fault") - delivery == 1 and delivery <= 1, log[-3000:]
