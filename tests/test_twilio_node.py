"""The official `twilio` npm package against the running server (tests/node/, `node --test`).

`npm ci` installs the locked package (tests/node/package-lock.json) the first time, or when the
lock changes. Node is required under CI (CI=true); elsewhere the test is skipped without it.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.conftest import Account, Running
from tests.support.node import npm_ci, tool

NODE_DIR = Path(__file__).resolve().parent / "node"


def test_twilio_node_suite(running: Running, account: Account) -> None:
    node = tool("node")
    npm_ci(NODE_DIR)
    env = {
        **os.environ,
        "CHINWAG_URL": running.url,
        "CHINWAG_ACCOUNT_SID": account.sid,
        "CHINWAG_AUTH_TOKEN": account.token,
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        [node, "--test", "--test-reporter=spec", "chinwag.test.mjs"],
        cwd=NODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = done.stdout + done.stderr
    print(report)  # shown by pytest -rP
    assert done.returncode == 0, f"twilio-node suite failed on {running.engine}:\n{report}"
    counts = dict(re.findall(r"^\S+ (pass|fail|cancelled) (\d+)$", report, re.MULTILINE))
    assert counts.get("fail") == "0" and counts.get("cancelled") == "0" and int(counts.get("pass", 0)) > 0, report
