"""The official `twilio` npm package against the running server (tests/node/, `node --test`).

`npm ci` installs the locked package (tests/node/package-lock.json) the first time, or when the
lock changes. Node is required under CI (CI=true); elsewhere the test is skipped without it.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Account, Running
from tests.support.node import run_suite

NODE_DIR = Path(__file__).resolve().parent / "node"


def test_twilio_node_suite(running: Running, account: Account) -> None:
    run_suite(NODE_DIR, running.url, running.engine, (account.sid, account.token), "chinwag.test.mjs")
