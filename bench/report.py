"""The results: per-scenario outcomes, the machine they ran on, the table in text and Markdown."""

from __future__ import annotations

import asyncio
import os
import platform
import sqlite3
import subprocess
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import Measurement, Settings
from bench.scenarios import Engine


@dataclass
class Outcome:
    name: str
    title: str
    engine: Engine
    target: str
    baseline: str = "bare"
    chinwag: Measurement | None = None
    bare: Measurement | None = None  # the baseline's measurement (the bare app, or chinwag itself)
    ratio: float | None = None  # what the target compares: throughput, or p50 latency for `latency`
    met: bool | None = None
    body_bytes: int | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


async def _pg_version(url: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def machine_info(settings: Settings) -> dict[str, Any]:
    import granian

    cpu = "unknown"
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False).stdout
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "granian": granian.__version__,
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk_version.split(" [")[0].strip() or "unknown",
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if settings.postgres_url:
        with suppress(Exception):
            info["postgresql"] = asyncio.run(_pg_version(settings.postgres_url))
    return info


def render_table(outcomes: list[Outcome]) -> list[list[str]]:
    rows = [["Scenario", "req/s", "p50 ms", "p99 ms", "baseline", "req/s", "p50", "p99", "ratio", "target", "met"]]
    for o in outcomes:
        c, b = o.chinwag, o.bare
        met = ("skipped" if o.note else "—") if o.met is None else ("yes" if o.met else "NO")
        if o.note and o.chinwag is None and o.met is False:
            met = "FAILED"
        rows.append(
            [
                o.title,
                f"{c.rps:,.0f}" if c else "—",
                f"{c.p50_ms:.2f}" if c else "—",
                f"{c.p99_ms:.2f}" if c else "—",
                o.baseline,
                f"{b.rps:,.0f}" if b else "—",
                f"{b.p50_ms:.2f}" if b else "—",
                f"{b.p99_ms:.2f}" if b else "—",
                f"{o.ratio:.2f}x" if o.ratio is not None else "—",
                o.target,
                met + ("*" if o.note else ""),
            ]
        )
    return rows


def notes(outcomes: list[Outcome]) -> list[str]:
    return [f"* {o.title}: {o.note}" for o in outcomes if o.note]


def pinning_text(settings: Settings) -> str:
    if settings.server_cpus is None:
        return "unpinned"
    return f"server on CPU {settings.server_cpus}, wrk on CPU {settings.wrk_cpus}"


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            cell.ljust(w) if i in (0, 4) else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(
    rows: list[list[str]], outcomes: list[Outcome], machine: dict[str, Any], settings: Settings, when: str
) -> str:
    head = "| " + " | ".join(rows[0]) + " |"
    rule = "|---|---:|---:|---:|---|---:|---:|---:|---:|---|---|"
    body = ["| " + " | ".join([f"`{r[0]}`", *r[1:]]) + " |" for r in rows[1:]]
    pin = pinning_text(settings)
    loads = sorted({o.extra["load_average_before"] for o in outcomes if "load_average_before" in o.extra})
    load_text = f"{loads[0]} to {loads[-1]}" if len(loads) > 1 else (str(loads[0]) if loads else "?")
    return "\n".join(
        [
            f"Load benchmark, {when}: granian, 1 worker; "
            f"wrk -t{settings.threads} -c{settings.connections}, {settings.duration} s in {settings.rounds} rounds"
            f" alternating with the baseline (the bare app, or chinwag itself for the chinwag-vs-chinwag ratios),"
            f" after {settings.warmup} s warm-up, loopback, {pin}.",
            f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), Python {machine['python']}, "
            f"granian {machine['granian']}, SQLite {machine['sqlite']}"
            + (f", PostgreSQL {machine['postgresql']}" if "postgresql" in machine else "")
            + f"; load average {machine['load_average'][0]} at the start, {load_text} before the scenarios.",
            "",
            head,
            rule,
            *body,
            "",
            *[n + "  " for n in notes(outcomes)],
        ]
    )
