from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Account, Running
from tests.contract.world import World


@pytest.fixture
def world(running: Running, account: Account) -> Iterator[World]:
    """Real resources of the test's fresh account, made on demand for path parameters."""
    with httpx.Client(base_url=running.url, auth=(account.sid, account.token), timeout=30) as client:
        yield World(client, account.sid, running.database_url)
