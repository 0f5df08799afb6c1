"""The scenario table: what each benchmark run sends, on which engine and data, and the target.

To add a scenario, append a `Scenario` to `SCENARIOS`: a name, the engine, a function from the
`Dataset` to the requests to replay (wrk picks one at random for each request it sends), and a
target. A scenario that needs more data than users extends `datagen.DataSpec` (or bench/world.py)
first and names its `data`. Requests may be POSTs with a form-encoded body.

Each scenario is measured against a baseline, in alternating rounds on the same CPU: by default
the bare ASGI app serving chinwag's own response body (`ratio(x)`, and shown beside `rps(n)`);
with `baseline=Baseline(...)`, chinwag itself on other requests or other data, for targets that
compare chinwag with chinwag (`relative(x)`: throughput at least x times the baseline's;
`latency(x)`: p50 latency at most x times the baseline's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlencode

from bench.datagen import Dataset, DataSpec

Engine = Literal["sqlite", "postgresql"]

USERS = DataSpec(users=100_000)  # --users changes its size
SMALL = DataSpec(users=0, memberships=10_000)
LARGE = DataSpec(users=0, memberships=1_000_000)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str = ""  # form-encoded, for POST

    def line(self) -> str:
        return f"{self.method}\t{self.path}\t{self.body}" if self.body else f"{self.method}\t{self.path}"


@dataclass(frozen=True)
class Target:
    """What a scenario must reach, given its measurement and its baseline's (same units)."""

    kind: Literal["ratio", "rps", "relative", "latency"]
    value: float

    def ratio(self, rps: float, p50_ms: float, base_rps: float, base_p50_ms: float) -> float | None:
        """The ratio the target is about: p50 latency for `latency`, throughput otherwise."""
        if self.kind == "latency":
            return p50_ms / base_p50_ms if base_p50_ms else None
        return rps / base_rps if base_rps else None

    def met(self, rps: float, ratio: float | None) -> bool | None:
        if self.kind == "rps":
            return rps >= self.value
        if ratio is None:
            return None
        return ratio <= self.value if self.kind == "latency" else ratio >= self.value

    def describe(self, baseline: str = "bare") -> str:
        if self.kind == "rps":
            return f"≥ {self.value:,.0f} req/s"
        if self.kind == "latency":
            return f"p50 ≤ {self.value:.2f}x {baseline}"
        return f"≥ {self.value:.2f}x {baseline}"


def ratio(value: float) -> Target:
    return Target("ratio", value)


def rps(value: float) -> Target:
    return Target("rps", value)


def relative(value: float) -> Target:
    return Target("relative", value)


def latency(value: float) -> Target:
    return Target("latency", value)


@dataclass(frozen=True)
class Baseline:
    """chinwag serving `requests` on `data`, instead of the bare app; on `engine` (None: the
    scenario's own), so PostgreSQL can be measured against SQLite on the same workload."""

    name: str  # as printed in the results table
    requests: Callable[[Dataset], list[Request]]
    data: DataSpec
    engine: Engine | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str  # as printed in the results table
    engine: Engine
    requests: Callable[[Dataset], list[Request]]
    target: Target
    expect_status: int = 200
    data: DataSpec = USERS
    baseline: Baseline | None = None  # None: the bare app
    # The bare app's kind: "static" answers the fixed body; "pg-read" also reads the path's user
    # from the scenario's PostgreSQL database (one asyncpg query per request: bench/bare.py).
    bare: Literal["static", "pg-read"] = "static"
    # Worker processes of chinwag (and of its baseline, bare or chinwag). With more than one, the
    # server is not pinned to one CPU (run.py): a second worker on the same core adds nothing.
    workers: int = 1

    def describe_target(self) -> str:
        if self.baseline is not None:
            return self.target.describe(self.baseline.name)
        return self.target.describe("bare+read" if self.bare == "pg-read" else "bare")


def fetch_by_sid(data: Dataset) -> list[Request]:
    return [Request("GET", f"/v1/Users/{u.sid}") for u in data.users]


def fetch_by_identity(data: Dataset) -> list[Request]:
    return [Request("GET", f"/v1/Users/{quote(u.identity, safe='')}") for u in data.users]


def list_first_page(data: Dataset) -> list[Request]:
    return [Request("GET", "/v1/Users?PageSize=50")]


def _user_conversations(sids: list[str]) -> list[Request]:
    return [Request("GET", f"/v1/Users/{sid}/Conversations?PageSize=50") for sid in sids]


def member_conversations(data: Dataset) -> list[Request]:
    """Filler users spread over the whole participants table, 60 conversations each."""
    return _user_conversations([m.sid for m in data.conversations().members])


def busy_conversations(data: Dataset) -> list[Request]:
    """Readers with 1,049 unread messages in each of their 60 conversations (shown as 1000)."""
    return _user_conversations([m.sid for m in data.conversations().busy])


def idle_conversations(data: Dataset) -> list[Request]:
    """Readers of the same 60 conversations with nothing unread."""
    return _user_conversations([m.sid for m in data.conversations().idle])


def post_messages(data: Dataset) -> list[Request]:
    """A message by one of the 4 members of each of 100 conversations (each bumps 4 unread counts)."""
    out = []
    for chat in data.conversations().chats:
        for author in chat.authors:
            body = urlencode({"Author": author, "Body": f"Hello from {author.split('@')[0]}, on the bench."})
            out.append(Request("POST", f"/v1/Conversations/{chat.sid}/Messages", body))
    return out


SCENARIOS: list[Scenario] = [
    Scenario("fetch-user-sid", "GET /v1/Users/{Sid}", "sqlite", fetch_by_sid, ratio(0.35)),
    Scenario("fetch-user-identity", "GET /v1/Users/{identity}", "sqlite", fetch_by_identity, ratio(0.35)),
    Scenario("list-users", "GET /v1/Users?PageSize=50", "sqlite", list_first_page, ratio(0.15)),
    Scenario(
        "user-conversations",
        "GET /v1/Users/{Sid}/Conversations?PageSize=50 (10^6 memberships)",
        "sqlite",
        member_conversations,
        rps(1500),
        data=LARGE,
    ),
    Scenario(
        "user-conversations-unread",
        "same, 1,000+ unread in every row vs none",
        "sqlite",
        busy_conversations,
        relative(0.8),
        data=LARGE,
        baseline=Baseline("0 unread", idle_conversations, LARGE),
    ),
    Scenario(
        "user-conversations-scale",
        "same, 10^6 memberships vs 10^4",
        "sqlite",
        member_conversations,
        latency(1.3),
        data=LARGE,
        baseline=Baseline("10^4 memberships", member_conversations, SMALL),
    ),
    Scenario(
        "post-message",
        "POST /v1/Conversations/{Sid}/Messages (durable)",
        "sqlite",
        post_messages,
        rps(2000),
        expect_status=201,
        data=LARGE,
    ),
]

# PostgreSQL (issue 14), `bench/run --postgres-only` or `--scenario pg-…`. Each against its floor:
# a fetch against the bare app doing one asyncpg read per request; a message post against chinwag
# on SQLite (same data, same requests); the UserConversations page against SQLite too. In this
# order, so that few servers (and PostgreSQL connections) are up at once (run.py starts each
# server before its first scenario and stops it after its last).
_PG_READ_FLOOR = "bare + 1 asyncpg read"


def _pg_fetch(workers: int) -> Scenario:
    suffix, w = ("-2w", ", 2 workers") if workers == 2 else ("", "")
    return Scenario(
        f"pg-fetch-user-sid{suffix}",
        f"GET /v1/Users/{{Sid}} (PostgreSQL{w}) vs {_PG_READ_FLOOR}",
        "postgresql",
        fetch_by_sid,
        ratio(0.7),
        bare="pg-read",
        workers=workers,
    )


def _pg_post(workers: int) -> Scenario:
    suffix, w = ("-2w", ", 2 workers") if workers == 2 else ("", "")
    return Scenario(
        f"pg-post-message{suffix}",
        f"POST …/Messages (PostgreSQL{w}) vs SQLite",
        "postgresql",
        post_messages,
        relative(0.6),
        expect_status=201,
        data=LARGE,
        baseline=Baseline("SQLite", post_messages, LARGE, engine="sqlite"),
        workers=workers,
    )


SCENARIOS += [
    _pg_fetch(1),
    _pg_fetch(2),
    _pg_post(1),
    Scenario(
        "pg-user-conversations",
        "GET /v1/Users/{Sid}/Conversations?PageSize=50 (PostgreSQL, 10^6 memberships) vs SQLite",
        "postgresql",
        member_conversations,
        relative(0.5),
        data=LARGE,
        baseline=Baseline("SQLite", member_conversations, LARGE, engine="sqlite"),
    ),
    Scenario(
        "pg-user-conversations-unread",
        "same on PostgreSQL, 1,000+ unread in every row vs none",
        "postgresql",
        busy_conversations,
        relative(0.8),
        data=LARGE,
        baseline=Baseline("0 unread", idle_conversations, LARGE),
    ),
    _pg_post(2),
]


def by_name(names: list[str] | None) -> list[Scenario]:
    if not names:
        return list(SCENARIOS)
    known = {s.name: s for s in SCENARIOS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[n] for n in names]
