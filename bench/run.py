"""Load benchmark: chinwag against a baseline on the same server (granian, one worker), by wrk.

    bench/run [--duration 10] [--warmup 3] [--connections 32] [--scenario NAME …] [--no-postgres]
    bench/run --postgres-only          # the PostgreSQL scenarios (pg-…), with their baselines

For each scenario (bench/scenarios.py) chinwag serves the scenario's data (bench/datagen.py) and wrk
replays the scenario's requests over loopback for a warm-up and then the measured run, alternating
with the baseline: the bare app (bench/bare.py) serving chinwag's own response body for that
scenario, or, for the chinwag-vs-chinwag targets, chinwag serving other requests or other data.
The ratio chinwag/bare is how much of the server's raw capacity is left once chinwag does its
work. Results: stdout, bench/results/latest.json and bench/results/latest.md. Modules: servers.py
(processes), measure.py (wrk), report.py (the table).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from bench import datagen
from bench.measure import Measurement, Settings, basic_auth, combine, fmt_measurement, sample, wrk
from bench.report import Outcome, machine_info, markdown, notes, pinning_text, render_table, text_table
from bench.scenarios import Request, Scenario, by_name
from bench.servers import ROOT, bare_server, chinwag_server

BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
WORK_DIR = datagen.DATA_DIR / "run"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"

# (engine, data, worker processes) → (what the database holds, chinwag's URL)
ServerKey = tuple[str, datagen.DataSpec, int]
Servers = dict[ServerKey, tuple[datagen.Dataset, str]]


def server_cpus(settings: Settings, workers: int) -> str | None:
    """One worker: the server's own CPU. More: every CPU (on one core they would only take turns)."""
    return settings.server_cpus if workers == 1 else None


def baseline_key(scenario: Scenario) -> ServerKey | None:
    if scenario.baseline is None:
        return None
    return (scenario.baseline.engine or scenario.engine, scenario.baseline.data, scenario.workers)


# --- one scenario -------------------------------------------------------------------------------


def _prepare(scenario: Scenario, side: str, requests: list[Request], base: str, auth: str) -> bytes:
    """Write the requests file and check one request's answer; its body is what bare serves."""
    (WORK_DIR / f"{scenario.name}.{side}.requests").write_text("".join(r.line() + "\n" for r in requests))
    first = requests[0]
    status, body = sample(base, first, auth)
    if status != scenario.expect_status:
        raise RuntimeError(f"{scenario.name}: {first.method} {first.path} answered {status}: {body[:500]!r}")
    return body


@contextmanager
def _baseline(settings: Settings, scenario: Scenario, servers: Servers, body: bytes, auth: str) -> Iterator[str]:
    """The baseline's URL: the bare app serving `body`, or chinwag on the baseline's data."""
    key = baseline_key(scenario)
    if scenario.baseline is None or key is None:
        body_file = WORK_DIR / f"{scenario.name}.body"
        body_file.write_bytes(body)
        (WORK_DIR / f"{scenario.name}.baseline.requests").write_text(
            (WORK_DIR / f"{scenario.name}.chinwag.requests").read_text()
        )
        pg_url = servers[_key(scenario)][0].database_url if scenario.bare == "pg-read" else None
        cpus = server_cpus(settings, scenario.workers)
        with bare_server(body_file, cpus, scenario.name, scenario.workers, pg_url) as bare:
            yield bare
        return
    data, base = servers[key]
    _prepare(scenario, "baseline", scenario.baseline.requests(data), base, auth)
    yield base


def _key(scenario: Scenario) -> ServerKey:
    return (scenario.engine, scenario.data, scenario.workers)


def run_scenario(settings: Settings, scenario: Scenario, servers: Servers) -> Outcome:
    baseline_name = baseline_label(scenario)
    outcome = Outcome(
        scenario.name, scenario.title, scenario.engine, scenario.describe_target(), baseline=baseline_name
    )
    data, base = servers[_key(scenario)]
    auth = basic_auth(data)
    requests = scenario.requests(data)
    body = _prepare(scenario, "chinwag", requests, base, auth)
    outcome.body_bytes = len(body)

    load = os.getloadavg()[0]
    outcome.extra["load_average_before"] = round(load, 2)
    print(
        f"\n[{scenario.name}] {scenario.title} on {scenario.data.describe()}, {scenario.workers} worker(s):"
        f" {len(requests):,} distinct requests,"
        f" {len(body)} B body; baseline: {baseline_name} (load average {load:.2f})",
        flush=True,
    )
    chinwag_file = WORK_DIR / f"{scenario.name}.chinwag.requests"
    baseline_file = WORK_DIR / f"{scenario.name}.baseline.requests"
    # Warm both up, then alternate between them, so that anything else the machine does while
    # this runs weighs on both sides of the ratio alike.
    seconds = max(1, round(settings.duration / settings.rounds))
    chinwag_rounds: list[Measurement] = []
    baseline_rounds: list[Measurement] = []
    with _baseline(settings, scenario, servers, body, auth) as other:
        if settings.warmup > 0:
            wrk(settings, base, chinwag_file, auth, settings.warmup)
            wrk(settings, other, baseline_file, auth, settings.warmup)
        for n in range(settings.rounds):
            chinwag_rounds.append(wrk(settings, base, chinwag_file, auth, seconds))
            baseline_rounds.append(wrk(settings, other, baseline_file, auth, seconds))
            if settings.rounds > 1:
                c, b = chinwag_rounds[-1], baseline_rounds[-1]
                print(f"  round {n + 1}: chinwag {c.rps:,.0f} req/s, {baseline_name} {b.rps:,.0f} req/s", flush=True)
    outcome.chinwag = c = combine(chinwag_rounds)
    outcome.bare = b = combine(baseline_rounds)
    outcome.extra["rounds"] = {
        "chinwag": [asdict(m) for m in chinwag_rounds],
        "baseline": [asdict(m) for m in baseline_rounds],
    }
    print(f"  chinwag  {fmt_measurement(c)}", flush=True)
    print(f"  {baseline_name:8} {fmt_measurement(b)}", flush=True)

    outcome.ratio = scenario.target.ratio(c.rps, c.p50_ms, b.rps, b.p50_ms)
    outcome.extra["throughput_ratio"] = c.rps / b.rps if b.rps else None
    outcome.extra["p50_ratio"] = c.p50_ms / b.p50_ms if b.p50_ms else None
    outcome.met = scenario.target.met(c.rps, outcome.ratio)
    if c.error_count or b.error_count:
        outcome.met = False
        outcome.note = f"errors: chinwag {c.errors or 0}, {baseline_name} {b.errors or 0}"
    return outcome


def attempt(settings: Settings, scenarios: list[Scenario], servers: Servers) -> list[Outcome]:
    """Run each scenario; one that fails is reported as failed and the others still run."""
    outcomes = []
    for scenario in scenarios:
        try:
            outcomes.append(run_scenario(settings, scenario, servers))
        except Exception as exc:
            print(f"  FAILED: {exc}", flush=True)
            outcomes.append(failed(scenario, f"failed: {str(exc).splitlines()[0][:200]}"))
    return outcomes


def failed(scenario: Scenario, note: str, met: bool | None = False) -> Outcome:
    target = scenario.describe_target()
    return Outcome(scenario.name, scenario.title, scenario.engine, target, baseline_label(scenario), met=met, note=note)


def baseline_label(scenario: Scenario) -> str:
    if scenario.baseline is not None:
        return scenario.baseline.name
    return "bare+read" if scenario.bare == "pg-read" else "bare"


# --- engines ------------------------------------------------------------------------------------


async def _pg_execute(url: str, sql: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        return str(await conn.fetchval(sql))
    finally:
        await conn.close()


def run_all(settings: Settings, scenarios: list[Scenario]) -> list[Outcome]:
    """One chinwag server per (engine, database, workers) a scenario needs (a PostgreSQL scenario
    alternates with its SQLite baseline's server), started before the first scenario that needs it
    and stopped after the last: PostgreSQL's connections are limited (`max_connections`, 100 by
    default), and each worker's pool holds up to 10. Databases are made once per run; PostgreSQL
    ones live in fresh schemas of the database at `settings.postgres_url`, dropped afterwards."""
    keys_needed = [[k for k in (_key(s), baseline_key(s)) if k is not None] for s in scenarios]
    last_use = {key: i for i, keys in enumerate(keys_needed) for key in keys}
    with ExitStack() as data_stack:
        datasets: dict[tuple[str, datagen.DataSpec], datagen.Dataset] = {}
        servers: Servers = {}
        running: dict[ServerKey, ExitStack] = {}
        broken: dict[ServerKey, str] = {}
        pg_down = _postgres_down(settings) if any(k[0] == "postgresql" for k in last_use) else None
        outcomes = []
        try:
            for i, scenario in enumerate(scenarios):
                for key in keys_needed[i]:
                    if key not in servers and key not in broken:
                        _start(settings, key, pg_down, data_stack, datasets, servers, running, broken)
                missing = [broken[k] for k in keys_needed[i] if k in broken]
                if missing:
                    skipped = missing[0].startswith("skipped")
                    outcomes.append(failed(scenario, missing[0], met=None if skipped else False))
                else:
                    outcomes += attempt(settings, [scenario], servers)
                for key in keys_needed[i]:
                    if last_use[key] == i and key in running:
                        running.pop(key).close()
                        servers.pop(key, None)
        finally:
            for stack in running.values():
                stack.close()
        return outcomes


def _start(
    settings: Settings,
    key: ServerKey,
    pg_down: str | None,
    data_stack: ExitStack,
    datasets: dict[tuple[str, datagen.DataSpec], datagen.Dataset],
    servers: Servers,
    running: dict[ServerKey, ExitStack],
    broken: dict[ServerKey, str],
) -> None:
    engine, spec, workers = key
    if engine == "postgresql" and pg_down is not None:
        broken[key] = pg_down
        return
    stack = ExitStack()
    try:
        if (engine, spec) not in datasets:
            datasets[engine, spec] = _dataset(data_stack, settings, engine, spec)
        data = datasets[engine, spec]
        name = f"{engine}-{spec.key()}-{workers}w"
        url = stack.enter_context(chinwag_server(data, server_cpus(settings, workers), name, workers))
    except Exception as exc:  # the data or the server: every scenario needing it fails
        stack.close()
        print(f"{engine} {spec.describe()}: FAILED: {exc}", flush=True)
        broken[key] = f"failed: {str(exc).splitlines()[0][:200]}"
        return
    running[key] = stack
    servers[key] = (data, url)


def _postgres_down(settings: Settings) -> str | None:
    if settings.postgres_url is None:
        return "skipped: --no-postgres"
    try:
        asyncio.run(_pg_execute(settings.postgres_url, "SELECT 1"))
    except (OSError, TimeoutError) as exc:
        note = f"skipped: PostgreSQL at {settings.postgres_url} unreachable ({exc})"
        print(note, flush=True)
        return note
    return None


def _dataset(stack: ExitStack, settings: Settings, engine: str, spec: datagen.DataSpec) -> datagen.Dataset:
    if engine == "sqlite":
        return datagen.sqlite_dataset(spec, WORK_DIR / f"{spec.key()}.db")
    assert settings.postgres_url is not None
    base_url = settings.postgres_url
    schema = "chinwag_bench_" + uuid.uuid4().hex[:10]
    asyncio.run(_pg_execute(base_url, f"CREATE SCHEMA {schema}"))
    stack.callback(lambda: asyncio.run(_pg_execute(base_url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")))
    sep = "&" if "?" in base_url else "?"
    return datagen.postgres_dataset(spec, f"{base_url}{sep}search_path={schema}")


# --- main ---------------------------------------------------------------------------------------


def default_pinning() -> tuple[str | None, str | None]:
    """Two or more CPUs: the server (all its threads and worker processes) gets the last CPU to
    itself, wrk the others, so the load generator never steals the server's core."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or shutil.which("taskset") is None:
        return None, None
    return str(cpus[-1]), ",".join(str(c) for c in cpus[:-1])


def parse_args(argv: Sequence[str] | None) -> tuple[Settings, list[Scenario]]:
    parser = argparse.ArgumentParser(
        prog="bench/run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100_000, help="users in the database (default %(default)s)")
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per server (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per server (default %(default)s)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="alternations chinwag/baseline the duration is split into (default %(default)s)",
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default %(default)s)")
    parser.add_argument("--scenario", action="append", dest="scenarios", metavar="NAME", help="run only these")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--no-pin", action="store_true", help="don't pin the server and wrk to separate CPUs")
    parser.add_argument("--postgres-url", default=PG_DEFAULT, help="database for PostgreSQL scenarios")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL scenarios")
    parser.add_argument(
        "--postgres-only",
        action="store_true",
        help="only the PostgreSQL scenarios (pg-…; their SQLite baselines still run)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a scenario fails or misses its target")
    args = parser.parse_args(argv)
    scenarios = [_sized(s, args.users) for s in by_name(args.scenarios)]
    if args.list:
        for s in scenarios:
            print(f"{s.name:26} {s.engine:10} {s.describe_target():28} {s.title}")
        raise SystemExit(0)
    if args.no_postgres:
        scenarios = [s for s in scenarios if s.engine != "postgresql"]
    if args.postgres_only:
        scenarios = [s for s in scenarios if s.engine == "postgresql"]
    server_cpus, wrk_cpus = (None, None) if args.no_pin else default_pinning()
    settings = Settings(
        users=args.users,
        duration=args.duration,
        warmup=args.warmup,
        rounds=max(1, args.rounds),
        connections=args.connections,
        threads=args.threads,
        server_cpus=server_cpus,
        wrk_cpus=wrk_cpus,
        postgres_url=None if args.no_postgres else args.postgres_url,
        check=args.check,
    )
    return settings, scenarios


def _sized(scenario: Scenario, users: int) -> Scenario:
    """`--users` sizes the user scenarios' database (the ones without conversations)."""
    if scenario.data.memberships:
        return scenario
    return replace(scenario, data=replace(scenario.data, users=users))


def main(argv: Sequence[str] | None = None) -> int:
    settings, scenarios = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install -y wrk` (bench/run does it for you)")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = machine_info(settings)
    print(
        f"chinwag load benchmark: {machine['nproc']} CPUs ({machine['cpu']}); {pinning_text(settings)}; "
        f"wrk -t{settings.threads} -c{settings.connections}, {settings.warmup} s warm-up + {settings.duration} s"
        f" in {settings.rounds} rounds per server",
        flush=True,
    )

    load = os.getloadavg()[0]
    if load > 0.5 * (os.cpu_count() or 1):
        print(f"WARNING: the machine is busy (load average {load:.2f}): the numbers will be noisy", flush=True)
    outcomes = run_all(settings, scenarios)
    order = {s.name: i for i, s in enumerate(scenarios)}
    outcomes.sort(key=lambda o: order[o.name])

    rows = render_table(outcomes)
    print("\n" + text_table(rows))
    for line in notes(outcomes):
        print(line)
    report: dict[str, Any] = {
        "when": when,
        "machine": machine,
        "settings": asdict(settings),
        "results": [asdict(o) for o in outcomes],
    }
    (RESULTS_DIR / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS_DIR / "latest.md").write_text(markdown(rows, outcomes, machine, settings, when))
    print(f"\nwritten: {RESULTS_DIR.relative_to(ROOT)}/latest.json and latest.md")
    missed = [o.name for o in outcomes if o.met is False]
    if missed:
        print(f"targets missed: {', '.join(missed)}")
    return 1 if missed and settings.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
