"""The LISTEN connection (storage/pg_listen.py) on the real PostgreSQL: notifications reach their
callback, and `listening` is called each time LISTEN is in place, at start and after the
connection was lost, so that what committed meanwhile is looked for at once instead of at the
next poll."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable

import asyncpg
import pytest

from chinwag.storage.dialect import postgres_target
from chinwag.storage.pg_listen import Listener
from tests.support.servers import PG_BASE, pg_execute, pg_role_schema, pg_schema


async def _wait(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.02)


def test_listening_is_called_when_listen_is_in_place_and_again_after_a_reconnect() -> None:
    with pg_schema():  # skips (or fails under CI) without the server
        pass
    channel = "chinwag_t_" + uuid.uuid4().hex[:12]

    async def scenario() -> None:
        heard: list[str] = []
        listening: list[int] = []
        listener = Listener(PG_BASE, {}, {channel: heard.append}, "test", lambda: listening.append(1))
        task = asyncio.create_task(listener.run())
        admin = await asyncpg.connect(PG_BASE)
        try:
            await _wait(lambda: len(listening) == 1, "LISTEN in place")
            await admin.execute(f"NOTIFY {channel}, 'one'")
            await _wait(lambda: heard == ["one"], "the first notification")
            # What an admin, a failover or a pooler restart does to the connection.
            ended = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = $1",
                f'LISTEN "{channel}"',
            )
            assert ended == 1
            await _wait(lambda: len(listening) == 2, "LISTEN in place again after the connection was lost")
            await admin.execute(f"NOTIFY {channel}, 'two'")
            await _wait(lambda: heard == ["one", "two"], "a notification after the reconnect")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await listener.close()
            await admin.close()

    asyncio.run(scenario())


def test_a_database_refusing_the_listener_is_reported_once_then_its_return(caplog: pytest.LogCaptureFixture) -> None:
    """PostgreSQL refuses new connections (here the role's connection limit, as at max_connections):
    the listener tries every 2 s, and says it lost LISTEN once, not once per try; and once when it
    is back."""
    with pg_role_schema() as (url, role):
        pg_execute(f"ALTER ROLE {role} CONNECTION LIMIT 0")
        dsn, settings = postgres_target(url)

        async def scenario() -> None:
            listening: list[int] = []
            listener = Listener(
                dsn, settings, {"chinwag_t_refused": lambda _: None}, "test", lambda: listening.append(1)
            )
            task = asyncio.create_task(listener.run())
            try:
                await asyncio.sleep(5)  # three tries refused
                await asyncio.to_thread(pg_execute, f"ALTER ROLE {role} CONNECTION LIMIT -1")
                await _wait(lambda: len(listening) == 1, "LISTEN in place once connections are allowed")
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await listener.close()

        with caplog.at_level(logging.WARNING, logger="chinwag.storage"):
            asyncio.run(scenario())
    said = [r.getMessage() for r in caplog.records if r.name == "chinwag.storage"]
    assert len([m for m in said if "test LISTEN connection lost" in m and "too many connections" in m]) == 1, said
    assert said.count("test LISTEN connection back") == 1, said
