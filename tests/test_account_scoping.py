"""Every SQL statement chinwag issues stays inside one account, except an explicit, commented list
of cross-account machinery (issue 14; docs/SCALING.md "Past one database").

How: a real `chinwag serve --emulator` on each engine records every distinct statement it runs with
the function that ran it (`CHINWAG_SQL_RECORD`, storage/statement_log.py) while
tests/support/workload.py drives (nearly) every resource and background path through
twilio-python; what only the command line or the test-only push registration reaches is recorded
in this process. Each statement is then judged by the rule in tests/support/scoping.py (each
account-owned table bound by an owner key). Two guards keep the check honest: every function in
src/ that issues SQL must have been recorded (or be listed below with the reason it cannot be),
and every allow-listed function must still exist and still be recorded.
"""

from __future__ import annotations

import ast
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chinwag import bootstrap
from chinwag.emulator import offline
from chinwag.storage import migrate, statement_log
from tests.conftest import empty_database_url, make_client, new_account
from tests.support.bindings import register
from tests.support.node import run_suite
from tests.support.scoping import judge
from tests.support.servers import Server, free_port
from tests.support.webhooks import ALLOW_LOOPBACK
from tests.support.workload import run_workload

SRC = Path(__file__).resolve().parent.parent / "src" / "chinwag"

# Statements that reach more than one account's rows, on purpose. Each is machinery of the whole
# server or account administration; on a database sharded by account each shard runs its own.
CROSS_ACCOUNT = {
    # The timer task's server-wide sweep: due conversations of every account (the emulator's
    # per-account variant, bound by account_sid, passes the rule).
    "chinwag.storage.repos.conversations._due": "timers sweep",
    # Which accounts run on their own clock (emulator mode): the timer task sweeps those one by one.
    "chinwag.storage.repos.emulator.clock_offsets": "timers sweep",
    # Retention of settled webhook deliveries, every account's (docs/decisions.md #77).
    "chinwag.storage.repos.outbox.prune": "outbox retention",
    # `chinwag accounts list`: account administration.
    "chinwag.storage.repos.accounts.list_all": "account administration",
    # The realtime hub's tail of the event log: every account's new events, each then sent only to
    # the sockets subscribed to its object (realtime/hub.py), and where the tail starts.
    "chinwag.storage.repos.realtime_events.after": "realtime hub",
    "chinwag.storage.repos.realtime_events.newest_id": "realtime hub",
    # A process's own sockets (all accounts) released when it stops, and those of dead processes
    # taken offline by a starting one (docs/decisions.md #128).
    "chinwag.storage.repos.realtime_connections.release_process": "realtime presence",
    "chinwag.storage.repos.realtime_connections.of_others": "realtime presence",
    "chinwag.storage.repos.realtime_connections.renew": "realtime presence",  # this process's leases
}
# The outbox dispatcher's leasing (`claim_lanes`, `any_due`, `release_lane`) and the credentials
# epoch touch only tables that belong to no account (tests/support/scoping.py MACHINERY), so they
# need no entry; migrations run through Alembic, not a Tx, and are not recorded.

# Functions that issue SQL but cannot run in a recording here.
NOT_RECORDED = {
    # PostgreSQL only (`SELECT pg_notify(…)`, no table): recorded when PostgreSQL is reachable.
    "chinwag.storage.repos.outbox.notify": "postgresql",
}


@dataclass(frozen=True)
class Statement:
    sql: str
    caller: str
    engine: str


def _read(prefix: Path) -> list[Statement]:
    found = []
    for path in prefix.parent.glob(prefix.name + ".*"):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            found.append(Statement(row["sql"], row["caller"], row["engine"]))
    return found


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[Statement]:
    tmp = tmp_path_factory.mktemp("scoping")
    prefix = tmp / "statements"
    env = {"CHINWAG_SQL_RECORD": str(prefix), "CHINWAG_TIMER_INTERVAL": "0.2", "CHINWAG_WEBHOOK_POLL": "0.2"}
    for engine in ("sqlite", "postgres"):
        with empty_database_url(engine, tmp / engine if engine == "sqlite" else tmp) as url:
            (tmp / engine).mkdir(exist_ok=True)
            server = Server(url, free_port(), tmp / f"{engine}.log", env, [*ALLOW_LOOPBACK, "--emulator"])
            server.start()
            try:
                run_workload(server.url)
                _realtime_clients(url, server.url, engine)
                _outside_the_server(url, server.url, prefix)
            finally:
                server.stop()
    return _read(prefix)


def _realtime_clients(url: str, base_url: str, engine: str) -> None:
    """The realtime endpoint's statements: Twilio's own JS client through its test suite
    (tests/realtime/realtime.test.mjs, what tests/test_realtime.py runs), against this server."""
    from tests.test_realtime import NODE_DIR

    account = bootstrap.create_account(url)
    run_suite(NODE_DIR, base_url, engine, account, "realtime.test.mjs", serial=True, timeout=600)


def _outside_the_server(url: str, base_url: str, prefix: Path) -> None:
    """What the command line does, and push bindings (registered through the domain until the
    realtime layer gives them a public create), recorded in this process."""
    statement_log.install(str(prefix))
    try:
        account = new_account(base_url)
        bootstrap.list_accounts(url)  # `chinwag accounts list`
        bootstrap.prepare(url, account.sid, account.token + "0")  # a changed CHINWAG_AUTH_TOKEN
        account.token += "0"
        twilio = make_client(base_url, account).conversations.v1
        service = twilio.services.create(friendly_name="push")
        sid = register(url, account.sid, service.sid, "alice", "fcm", "endpoint-1")
        twilio.services(service.sid).bindings(sid).fetch()
        twilio.services(service.sid).bindings(sid).delete()
        raw = offline.export_snapshot(url, account.sid)  # `chinwag snapshot export`
        offline.import_snapshot(url, account.sid, None, raw)  # `chinwag snapshot import`
    finally:
        statement_log.uninstall()


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Every table's columns, from a database at the latest migration."""
    path = tmp_path_factory.mktemp("schema") / "schema.db"
    migrate.upgrade(f"sqlite:///{path}")
    conn = sqlite3.connect(path)
    try:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: [row[1] for row in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
    finally:
        conn.close()


def test_every_statement_stays_in_one_account(recorded: list[Statement], schema: dict[str, list[str]]) -> None:
    crossing: dict[str, set[str]] = {}
    for statement in recorded:
        if statement.caller in CROSS_ACCOUNT:
            continue
        verdict = judge(statement.sql, schema)
        if not verdict.bound:
            crossing.setdefault(statement.caller, set()).add(f"{verdict.unbound}: {' '.join(statement.sql.split())}")
    assert not crossing, "statements not bound to one account (tests/support/scoping.py):\n" + "\n".join(
        f"  {caller}: {sql}" for caller, sqls in sorted(crossing.items()) for sql in sorted(sqls)
    )


def test_the_allow_list_is_still_needed(recorded: list[Statement], schema: dict[str, list[str]]) -> None:
    """Each allow-listed function still runs, and still reaches more than one account: once it is
    scoped, its entry goes."""
    for caller in CROSS_ACCOUNT:
        judged = [judge(s.sql, schema) for s in recorded if s.caller == caller]
        assert judged, f"{caller} was not recorded: remove it from CROSS_ACCOUNT or reach it in the workload"
        assert any(not v.bound for v in judged), f"{caller} is scoped now: remove it from CROSS_ACCOUNT"


# The Tx methods that run a statement (a PostgreSQL write transaction may add its own, e.g. a
# statement that commits by itself: those end in `one` and are recorded through it).
TX_METHODS = ("one", "all", "values", "run", "solo", "before")


def _functions_issuing_sql() -> set[str]:
    """`module.function` of every async function in src/ (migrations aside) that calls one of
    `TX_METHODS` on `tx` itself."""
    found = set()
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = "chinwag." + ".".join(path.relative_to(SRC).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.AsyncFunctionDef) and any(_is_tx_call(sub) for sub in ast.walk(node)):
                found.add(f"{module}.{node.name}")
    return found


def _is_tx_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in TX_METHODS
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "tx"
    )


def test_the_recording_reached_every_function_that_issues_sql(recorded: list[Statement]) -> None:
    """A new query in a function the workload never reaches would go unjudged: this fails until
    tests/support/workload.py reaches it (or NOT_RECORDED says why it cannot)."""
    issuing = _functions_issuing_sql()
    callers = {s.caller for s in recorded}
    assert issuing, "found no SQL in src/: the scan is broken"
    engines = {s.engine for s in recorded}
    excused = {name for name, engine in NOT_RECORDED.items() if engine not in engines}
    missing = sorted(issuing - callers - excused)
    assert not missing, f"never run while recording, so never judged: {missing}"
    assert set(NOT_RECORDED) <= issuing, "NOT_RECORDED names a function that no longer issues SQL"
    assert set(CROSS_ACCOUNT) <= issuing, "CROSS_ACCOUNT names a function that no longer issues SQL"


@pytest.mark.parametrize(
    ("sql", "bound"),
    [
        # One account's rows: by account or service, by a row's own key, by a parent's key.
        ("SELECT id FROM users WHERE identity = ? AND chat_service_sid = ?", True),
        ("SELECT id FROM api_keys WHERE sid = ?", True),
        ("UPDATE participants SET unread_count = 0 WHERE conversation_sid = ? AND last_read_message_index < ?", True),
        (
            "DELETE FROM service_configs WHERE chat_service_sid IN (SELECT sid FROM services WHERE account_sid = ?)",
            True,
        ),
        ("SELECT p.id FROM participants p JOIN conversations c ON c.id = p.conversation_id WHERE p.user_sid = ?", True),
        ("INSERT INTO roles (sid, account_sid, friendly_name) VALUES (?, ?, ?)", True),
        ("SELECT lane FROM webhook_lanes WHERE has_work = 1", True),  # no account's table
        # Reaching other accounts: no owner key, a key under OR, an unbound subquery or join.
        ("SELECT id FROM users WHERE identity = ?", False),
        ("SELECT id FROM users WHERE identity = ? OR account_sid = ?", False),
        ("SELECT id FROM messages WHERE conversation_sid IN (SELECT sid FROM conversations WHERE state = ?)", False),
        ("SELECT m.id FROM messages m JOIN conversations c ON c.sid = m.conversation_sid WHERE c.state = ?", False),
        ("SELECT 1 FROM users WHERE role_sid = ? UNION ALL SELECT 1 FROM participants WHERE role_sid IS NULL", False),
        ("UPDATE conversations SET state = 'closed' WHERE date_closed <= ?", False),
        ("INSERT INTO service_configs (reachability_enabled) VALUES (?)", False),
        # Shapes of batched writes: CTEs, derived tables, unnest of array parameters, USING.
        (
            "WITH c AS (SELECT sid FROM conversations WHERE sid = ? AND chat_service_sid = ?)"
            " UPDATE messages SET body = '' WHERE conversation_sid IN (SELECT sid FROM c)",
            True,
        ),
        (
            "WITH c AS (SELECT sid FROM conversations WHERE state = ?)"
            " UPDATE messages SET body = '' WHERE conversation_sid IN (SELECT sid FROM c)",
            False,
        ),
        (
            "UPDATE participants AS p SET unread_count = v.n"
            " FROM (SELECT unnest(?::text[]) AS sid, unnest(?::int[]) AS n) v WHERE p.sid = v.sid",
            True,
        ),
        (
            "UPDATE participants AS p SET unread_count = 0"
            " FROM (SELECT sid FROM participants WHERE identity = ?) v WHERE p.sid = v.sid",
            False,
        ),
        ("INSERT INTO delivery_receipts (sid, account_sid) SELECT * FROM unnest(?::text[], ?::text[])", True),
        (
            "DELETE FROM messages m USING conversations c"
            " WHERE m.conversation_sid = c.sid AND c.sid = ? AND c.chat_service_sid = ?",
            True,
        ),
        ("DELETE FROM messages m USING conversations c WHERE m.conversation_sid = c.sid AND c.state = ?", False),
        # Correlated subqueries see the bound row around them, and only a bound one.
        (
            "UPDATE participants SET unread_count = (SELECT COUNT(*) FROM messages"
            " WHERE conversation_sid = participants.conversation_sid AND msg_index > ?) WHERE sid = ?",
            True,
        ),
        (
            "UPDATE participants SET unread_count = (SELECT COUNT(*) FROM messages"
            " WHERE conversation_sid = participants.conversation_sid) WHERE identity = ?",
            False,
        ),
        (
            "SELECT sid FROM conversations c WHERE chat_service_sid = ?"
            " AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_sid = c.sid)",
            True,
        ),
    ],
)
def test_the_rule(sql: str, bound: bool, schema: dict[str, list[str]]) -> None:
    """The rule itself, on statements that pass and statements that must not."""
    assert judge(sql, schema).bound is bound


@pytest.fixture(autouse=True)
def _no_recording_left_behind() -> Iterator[None]:
    yield
    statement_log.uninstall()
