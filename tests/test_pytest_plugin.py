"""chinwag's pytest plugin (src/chinwag/pytest_plugin.py) as a user's project uses it: the sample
project examples/pytest/, run by pytest in a subprocess, under xdist."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from chinwag import bootstrap
from tests.conftest import serving

SAMPLE_TESTS = 3


def run_sample(repo_root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    sample = repo_root / "examples" / "pytest"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CHINWAG_", "PYTEST_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider"],
        cwd=sample,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def passed(result: subprocess.CompletedProcess[str]) -> int:
    found = re.search(r"(\d+) passed", result.stdout)
    return int(found.group(1)) if found else 0


def test_the_sample_project_passes_under_xdist(repo_root: Path) -> None:
    result = run_sample(repo_root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert passed(result) == SAMPLE_TESTS, result.stdout
    assert "failed" not in result.stdout and "error" not in result.stdout.lower()


def test_the_sample_project_on_the_emulator_at_chinwag_url(repo_root: Path, tmp_path: Path) -> None:
    with serving("sqlite", tmp_path, extra_args=["--emulator"]) as running:
        probe = httpx.post(running.url + "/_chinwag/v1/Accounts")
        if probe.status_code == 404:
            pytest.skip("this build has no POST /_chinwag/v1/Accounts yet (emulator control API)")
        assert probe.status_code in (200, 201), probe.text
        before = len(bootstrap.list_accounts(running.database_url))
        result = run_sample(repo_root, CHINWAG_URL=running.url)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert passed(result) == SAMPLE_TESTS
        # Every test's account was made on that server.
        assert len(bootstrap.list_accounts(running.database_url)) == before + SAMPLE_TESTS


def test_without_the_accounts_route_chinwag_url_is_a_clear_error(repo_root: Path, tmp_path: Path) -> None:
    with serving("sqlite", tmp_path) as running:  # not in emulator mode: no control API
        result = run_sample(repo_root, CHINWAG_URL=running.url)
    assert result.returncode != 0
    assert "start it with `chinwag serve --emulator`" in result.stdout, result.stdout[-3000:]
