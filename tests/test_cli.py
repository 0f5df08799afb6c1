"""The `chinwag` command as users and outside scripts run it: the real console script in .venv/bin,
as a subprocess. `chinwag serve --host H --port P --database URL` is a contract."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import Account, error_of, make_client
from tests.support.servers import free_port, pg_schema

ENV_KEYS = ("CHINWAG_ACCOUNT_SID", "CHINWAG_AUTH_TOKEN", "CHINWAG_DATABASE", "CHINWAG_PUBLIC_URL")


@pytest.fixture(scope="module")
def chinwag(repo_root: Path) -> str:
    script = repo_root / ".venv" / "bin" / "chinwag"
    assert script.exists(), "run scripts/install first"
    return str(script)


def new_account() -> Account:
    return Account("AC" + os.urandom(16).hex(), os.urandom(16).hex())


def clean_env(account: Account | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    if account is not None:
        env["CHINWAG_ACCOUNT_SID"] = account.sid
        env["CHINWAG_AUTH_TOKEN"] = account.token
    return {**env, **extra}


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    stdout: Path
    stderr: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def err(self) -> str:
        return self.stderr.read_text(errors="replace")

    def out(self) -> str:
        return self.stdout.read_text(errors="replace")

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Signal the whole process group: granian's main process and its worker processes."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        self.process.wait(20)
        # Nothing of the group may still answer: a surviving worker would keep serving the port.
        with pytest.raises(httpx.TransportError):
            httpx.get(self.url + "/health", timeout=2)


def start(
    chinwag: str,
    tmp: Path,
    database: str,
    env: dict[str, str],
    port: int | None = None,
    wait: bool = True,
    args: tuple[str, ...] = (),
) -> Served:
    port = port or free_port()
    n = len(list(tmp.glob("serve-*.err")))
    out, err = tmp / f"serve-{n}.out", tmp / f"serve-{n}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [chinwag, "serve", "--host", "127.0.0.1", "--port", str(port), "--database", database, *args],
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,  # its own process group, so the workers can be signalled with it
        )
    served = Served(process, port, out, err)
    if not wait:
        return served
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"chinwag serve exited {process.returncode}: {served.err()[-2000:]}")
        try:
            if httpx.get(served.url + "/health", timeout=1).status_code == 200:
                return served
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    served.stop(signal.SIGKILL)
    raise AssertionError(f"chinwag serve did not become healthy: {served.err()[-2000:]}")


def run(chinwag: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A command that should exit by itself; should it serve instead, its whole group is killed."""
    process = subprocess.Popen(
        [chinwag, *args],
        env=env or clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AssertionError(f"chinwag {' '.join(args)} did not exit") from None
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def accounts_in(chinwag: str, database: str) -> list[list[str]]:
    listed = run(chinwag, "accounts", "list", "--database", database)
    assert listed.returncode == 0, listed.stderr
    return [line.split() for line in listed.stdout.splitlines()]


def works(url: str, account: Account) -> bool:
    return httpx.get(url + "/v1/Configuration", auth=(account.sid, account.token)).status_code == 200


def test_env_account_is_idempotent_and_a_changed_token_takes_effect(chinwag: str, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'env.db'}"
    account = new_account()
    served = start(chinwag, tmp_path, database, clean_env(account))
    try:
        client = make_client(served.url, account).conversations.v1
        user = client.users.create(identity="kept")
    finally:
        served.stop()

    served = start(chinwag, tmp_path, database, clean_env(account))
    try:
        assert make_client(served.url, account).conversations.v1.users("kept").fetch().sid == user.sid
        assert "CHINWAG_AUTH_TOKEN=" not in served.err()  # nothing was created this time
    finally:
        served.stop()
    assert [row[:2] for row in accounts_in(chinwag, database)] == [[account.sid, account.token]]

    rotated = Account(account.sid, os.urandom(16).hex())
    served = start(chinwag, tmp_path, database, clean_env(rotated))
    try:
        assert make_client(served.url, rotated).conversations.v1.users("kept").fetch().sid == user.sid
        old = httpx.get(served.url + "/v1/Users", auth=(account.sid, account.token))
        assert (old.status_code, error_of(old)["code"]) == (401, 20003)
    finally:
        served.stop()
    assert [row[:2] for row in accounts_in(chinwag, database)] == [[rotated.sid, rotated.token]]


def test_fresh_database_without_env_prints_working_credentials(chinwag: str, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'fresh.db'}"
    served = start(chinwag, tmp_path, database, clean_env())
    try:
        err = served.err()
        sid = re.search(r"CHINWAG_ACCOUNT_SID=(AC[0-9a-f]{32})\b", err)
        token = re.search(r"CHINWAG_AUTH_TOKEN=([0-9a-f]{32})\b", err)
        assert sid and token, err
        assert token.group(1) not in served.out()  # credentials go to stderr only
        account = Account(sid.group(1), token.group(1))
        client = make_client(served.url, account).conversations.v1
        assert client.users.create(identity="first").identity == "first"
    finally:
        served.stop()

    served = start(chinwag, tmp_path, database, clean_env())
    try:
        assert "CHINWAG_AUTH_TOKEN=" not in served.err()
        assert make_client(served.url, account).conversations.v1.users("first").fetch().identity == "first"
    finally:
        served.stop()
    assert [row[:2] for row in accounts_in(chinwag, database)] == [[account.sid, account.token]]


def test_accounts_create_and_list(chinwag: str, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'accounts.db'}"
    made = []
    for _ in range(2):
        result = run(chinwag, "accounts", "create", "--database", database)
        assert result.returncode == 0, result.stderr
        fields = result.stdout.split()
        assert len(fields) == 2 and re.fullmatch(r"AC[0-9a-f]{32}", fields[0]) and len(fields[1]) == 32, fields
        made.append(Account(fields[0], fields[1]))
    listed = accounts_in(chinwag, database)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row[2]) for row in listed)
    # Oldest first; accounts made in the same second (as these usually are) in SID order.
    assert listed == sorted(listed, key=lambda row: (row[2], row[0]))
    assert sorted(row[:2] for row in listed) == sorted([a.sid, a.token] for a in made)
    # CHINWAG_DATABASE stands in for --database.
    via_env = run(chinwag, "accounts", "list", env=clean_env(CHINWAG_DATABASE=database))
    assert [line.split() for line in via_env.stdout.splitlines()] == listed

    # Serving a database that has accounts creates none, and every account works, each on its own.
    served = start(chinwag, tmp_path, database, clean_env())
    try:
        assert "CHINWAG_AUTH_TOKEN=" not in served.err()
        first, second = (make_client(served.url, a).conversations.v1 for a in made)
        assert first.configuration().fetch().default_chat_service_sid != (
            second.configuration().fetch().default_chat_service_sid
        )
        first.users.create(identity="only-in-first")
        assert second.users.list() == []
        # An account created while the server runs works at once.
        late = run(chinwag, "accounts", "create", "--database", database).stdout.split()
        assert works(served.url, Account(late[0], late[1]))
    finally:
        served.stop()
    assert len(accounts_in(chinwag, database)) == 3


def test_migrate(chinwag: str, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'migrate.db'}"
    for _ in range(2):  # idempotent
        result = run(chinwag, "migrate", "--database", database)
        assert result.returncode == 0, result.stderr
    assert accounts_in(chinwag, database) == []


@pytest.fixture
def pg_database() -> Iterator[str]:
    with pg_schema() as url:
        yield url


def test_postgresql_database(chinwag: str, tmp_path: Path, pg_database: str) -> None:
    account = new_account()
    served = start(chinwag, tmp_path, pg_database, clean_env(account))
    try:
        client = make_client(served.url, account).conversations.v1
        assert client.users.create(identity="on-pg").identity == "on-pg"
        created = run(chinwag, "accounts", "create", "--database", pg_database)
        assert created.returncode == 0, created.stderr
        other = Account(*created.stdout.split())
        assert works(served.url, other)
        assert make_client(served.url, other).conversations.v1.users.list() == []
    finally:
        served.stop()
    listed = accounts_in(chinwag, pg_database)
    # Listed oldest first, ties (same second) by SID: creation order only when the seconds differ.
    assert sorted(row[0] for row in listed) == sorted([account.sid, other.sid])
    assert [(row[2], row[0]) for row in listed] == sorted((row[2], row[0]) for row in listed)
    served = start(chinwag, tmp_path, pg_database, clean_env(account))
    try:
        assert make_client(served.url, account).conversations.v1.users("on-pg").fetch().identity == "on-pg"
    finally:
        served.stop()


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_acknowledged_writes_survive_kill_9(
    chinwag: str, tmp_path: Path, engine: str, request: pytest.FixtureRequest
) -> None:
    database = f"sqlite:///{tmp_path / 'durable.db'}" if engine == "sqlite" else request.getfixturevalue("pg_database")
    account = new_account()
    served = start(chinwag, tmp_path, database, clean_env(account))
    acknowledged: list[str] = []
    try:

        def create(i: int) -> str | None:
            response = httpx.post(
                served.url + "/v1/Users", auth=(account.sid, account.token), data={"Identity": f"durable-{i}"}
            )
            return response.json()["sid"] if response.status_code == 201 else None

        with ThreadPoolExecutor(8) as pool:
            acknowledged = [sid for sid in pool.map(create, range(40)) if sid]
        service = httpx.post(served.url + "/v1/Services", auth=(account.sid, account.token), data={"FriendlyName": "d"})
        assert service.status_code == 201
    finally:
        served.stop(signal.SIGKILL)  # the whole group, at once, no chance to flush or close anything
    assert len(acknowledged) == 40

    served = start(chinwag, tmp_path, database, clean_env(account))
    try:
        client = make_client(served.url, account).conversations.v1
        assert sorted(u.sid for u in client.users.list()) == sorted(acknowledged)
        assert client.services(service.json()["sid"]).fetch().friendly_name == "d"
    finally:
        served.stop()


def test_a_port_in_use_is_refused(chinwag: str, tmp_path: Path) -> None:
    account = new_account()
    first = start(chinwag, tmp_path, f"sqlite:///{tmp_path / 'first.db'}", clean_env(account))
    try:
        second = start(
            chinwag, tmp_path, f"sqlite:///{tmp_path / 'second.db'}", clean_env(new_account()), first.port, wait=False
        )
        try:
            code = second.process.wait(30)
        finally:
            if second.process.poll() is None:
                os.killpg(second.process.pid, signal.SIGKILL)
                second.process.wait()
        assert code != 0
        assert f"port {first.port}" in second.err() and "in use" in second.err(), second.err()
        assert "Traceback" not in second.err()
        # Every request still reaches the first server.
        assert all(works(first.url, account) for _ in range(30))
    finally:
        first.stop()


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["serve"], {"CHINWAG_ACCOUNT_SID": "ACnope", "CHINWAG_AUTH_TOKEN": "x"}, "CHINWAG_ACCOUNT_SID"),
        (["serve"], {"CHINWAG_ACCOUNT_SID": "AC" + "1" * 32}, "CHINWAG_AUTH_TOKEN"),
        (["serve"], {"CHINWAG_AUTH_TOKEN": "f" * 32}, "CHINWAG_ACCOUNT_SID"),
        (["serve"], {"CHINWAG_ACCOUNT_SID": "AC" + "1" * 32, "CHINWAG_AUTH_TOKEN": "tok en"}, "CHINWAG_AUTH_TOKEN"),
        (["serve", "--database", "mysql://x/y"], {}, "unsupported database URL"),
        (["accounts", "list", "--database", "sqlite:////nonexistent/dir/x.db"], {}, "database"),
        (["accounts", "create", "--database", "postgresql://nobody@127.0.0.1:1/x"], {}, "database"),
    ],
)
def test_bad_settings_fail_cleanly(
    chinwag: str, tmp_path: Path, args: list[str], env: dict[str, str], expected: str
) -> None:
    if "--database" not in args:
        args = [*args, "--database", f"sqlite:///{tmp_path / 'bad.db'}"]
    if args[0] == "serve":
        args = [*args, "--port", str(free_port())]
    result = run(chinwag, *args, env=clean_env(None, **env))
    assert result.returncode != 0
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr


# --- The first five minutes (docs/decisions.md #90-#93) ---------------------------------------


def test_version(chinwag: str) -> None:
    from importlib.metadata import version

    result = run(chinwag, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"chinwag, version {version('chinwag')}"


def test_help_lists_every_environment_variable_chinwag_reads(chinwag: str, repo_root: Path) -> None:
    read: set[str] = set()
    by_plugin: set[str] = set()
    for source in (repo_root / "src" / "chinwag").rglob("*.py"):
        text = source.read_text()
        names = set(re.findall(r"environ(?:\.get)?\(\s*\"(CHINWAG_[A-Z_]+)\"", text))
        names |= set(re.findall(r"envvar=\"(CHINWAG_[A-Z_]+)\"", text))
        (by_plugin if source.name == "pytest_plugin.py" else read).update(names)
    assert {"CHINWAG_DATABASE", "CHINWAG_ACCOUNT_SID", "CHINWAG_EMULATOR"} <= read
    assert by_plugin == {"CHINWAG_URL"}
    readme = (repo_root / "README.md").read_text()
    for args in (["--help"], ["serve", "--help"]):
        shown = run(chinwag, *args).stdout
        missing = sorted(name for name in read if name not in shown)
        assert not missing, f"chinwag {' '.join(args)} does not list {missing}"
    # The README's table has them all, the pytest plugin's included.
    assert not sorted(name for name in read | by_plugin if f"`{name}" not in readme)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--port", "99999"], "--port"),
        (["--port", "0"], "--port"),
        (["--workers", "0"], "--workers"),
        (["--workers", "-1"], "--workers"),
        (["--log-level", "loud"], "--log-level"),
        (["--public-url", "example.com"], "--public-url"),
        (["--database", "sqlite:///:memory:", "--workers", "2"], "one worker"),
        (["--listen-database", "sqlite:///other.db"], "--listen-database"),
    ],
)
def test_bad_arguments_are_refused_before_the_database_is_touched(
    chinwag: str, tmp_path: Path, args: list[str], expected: str
) -> None:
    database = tmp_path / "untouched.db"
    args = ["--database", f"sqlite:///{database}", *args] if "--database" not in args else args
    if "--port" not in args:
        args = [*args, "--port", str(free_port())]
    result = run(chinwag, "serve", *args)
    assert result.returncode != 0
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "Created account" not in result.stderr
    assert not database.exists()


def memory_dirs() -> set[Path]:
    return set(Path("/dev/shm").glob("chinwag-memory-*")) | set(Path(tempfile.gettempdir()).glob("chinwag-memory-*"))


def test_in_memory_database(chinwag: str, tmp_path: Path) -> None:
    account = new_account()
    before = memory_dirs()
    served = start(chinwag, tmp_path, "sqlite:///:memory:", clean_env(account), args=("--emulator",))
    try:
        assert len(memory_dirs() - before) == 1
        client = make_client(served.url, account).conversations.v1
        assert client.users.create(identity="in-memory").identity == "in-memory"
        assert client.users("in-memory").fetch().identity == "in-memory"
        ours = memory_dirs() - before
    finally:
        served.stop()
    # Nothing is left behind, and the next start begins empty.
    assert not any(path.exists() for path in ours)
    served = start(chinwag, tmp_path, "sqlite:///:memory:", clean_env(account))
    try:
        assert make_client(served.url, account).conversations.v1.users.list() == []
    finally:
        served.stop()
    # Outside `serve` an in-memory database would be gone at once: refused, clearly.
    listed = run(chinwag, "accounts", "list", "--database", "sqlite:///:memory:")
    assert listed.returncode != 0 and "in-memory" in listed.stderr and "Traceback" not in listed.stderr


ACCESS_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO chinwag\.access: (\S+) (\S+) (\d{3}) (\S+) \d+\.\dms$", re.M
)


def access_lines(served: Served) -> list[tuple[str, ...]]:
    return [m.groups() for m in ACCESS_LINE.finditer(served.err())]


def wait_for_lines(served: Served, count: int) -> list[tuple[str, ...]]:
    deadline = time.monotonic() + 10
    while len(lines := access_lines(served)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return lines


@pytest.mark.parametrize(
    ("args", "logged"),
    [
        (("--emulator",), True),
        (("--emulator", "--no-access-log"), False),
        ((), False),
        (("--access-log",), True),
    ],
)
def test_access_log(chinwag: str, tmp_path: Path, args: tuple[str, ...], logged: bool) -> None:
    account = new_account()
    served = start(chinwag, tmp_path, f"sqlite:///{tmp_path / 'log.db'}", clean_env(account), args=args)
    try:
        client = make_client(served.url, account).conversations.v1
        client.users.create(identity="alice")
        missing = httpx.get(served.url + "/v1/Users/alcie", auth=(account.sid, account.token))
        assert missing.status_code == 404
        lines = wait_for_lines(served, 3) if logged else access_lines(served)
    finally:
        served.stop()
    if not logged:
        assert lines == [], served.err()
        return
    assert ("POST", "/v1/Users", "201", "-") in lines, served.err()
    assert ("GET", "/v1/Users/alcie", "404", "20404") in lines, served.err()
    # Server lines share the format: UTC time and level first.
    assert re.search(r"^\d{4}-\d\d-\d\dT[\d:.]+Z INFO granian: ", served.err(), re.M), served.err()


def test_log_level_warning_hides_info_lines(chinwag: str, tmp_path: Path) -> None:
    account = new_account()
    served = start(
        chinwag,
        tmp_path,
        f"sqlite:///{tmp_path / 'quiet.db'}",
        clean_env(account),
        args=("--access-log", "--log-level", "warning"),
    )
    try:
        assert works(served.url, account)
    finally:
        served.stop()
    assert access_lines(served) == [] and " INFO " not in served.err(), served.err()


def test_a_start_says_how_to_get_the_credentials_again(chinwag: str, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'again.db'}"
    served = start(chinwag, tmp_path, database, clean_env())
    served.stop()
    assert f"chinwag accounts list --database {database}" in served.err()
    ((sid, token, _),) = accounts_in(chinwag, database)
    assert f"CHINWAG_ACCOUNT_SID={sid}" in served.err() and f"CHINWAG_AUTH_TOKEN={token}" in served.err()


def worker_processes(served: Served) -> int:
    """Granian's worker processes: the children of the server's main process but its webhook
    delivery process (events/delivery_process.py)."""
    children = Path(f"/proc/{served.process.pid}/task/{served.process.pid}/children").read_text().split()
    return sum(b"delivery_process" not in Path(f"/proc/{pid}/cmdline").read_bytes() for pid in children)


@pytest.mark.parametrize("pinned", [False, True])
def test_workers_auto_starts_one_worker_per_core(chinwag: str, tmp_path: Path, pinned: bool) -> None:
    """`--workers auto`: as many workers as cores this process may run on, so a cpuset (here an
    affinity mask of one core) narrows it as a container's would."""
    cores = sorted(os.sched_getaffinity(0))
    expected = 1 if pinned else len(cores)
    env = clean_env(new_account())
    port = free_port()
    out, err = tmp_path / "auto.out", tmp_path / "auto.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [
                chinwag,
                "serve",
                "--port",
                str(port),
                "--database",
                f"sqlite:///{tmp_path / 'auto.db'}",
                "--workers",
                "auto",
            ],
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, {cores[0]})) if pinned else None,
        )
    served = Served(process, port, out, err)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and worker_processes(served) < expected:
            assert process.poll() is None, served.err()
            time.sleep(0.1)
        while time.monotonic() < deadline and not works_health(served.url):
            time.sleep(0.1)
        time.sleep(0.5)  # a surplus worker would be up by now
        assert worker_processes(served) == expected
        plural = "worker" if expected == 1 else "workers"
        assert f"({expected} {plural})" in served.err()
    finally:
        served.stop()


def works_health(url: str) -> bool:
    try:
        return httpx.get(url + "/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_workers_must_be_a_number_or_auto(chinwag: str, tmp_path: Path) -> None:
    database = tmp_path / "untouched.db"
    for bad in ("many", "1.5", "0x2", "2000"):
        result = run(
            chinwag, "serve", "--database", f"sqlite:///{database}", "--port", str(free_port()), "--workers", bad
        )
        assert result.returncode != 0
        assert "--workers" in result.stderr and "'auto'" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert not database.exists()
    assert "auto" in run(chinwag, "serve", "--help").stdout
