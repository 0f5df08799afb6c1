"""wrk runs and what they measure: one `Measurement` per run, combined over rounds."""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench import datagen
from bench.scenarios import Request
from bench.servers import BENCH_DIR, pinned

LUA = BENCH_DIR / "lua" / "replay.lua"


@dataclass(frozen=True)
class Settings:
    users: int
    duration: int
    warmup: int
    rounds: int
    connections: int
    threads: int
    server_cpus: str | None  # taskset list for chinwag / the bare app (and their workers), None: any
    wrk_cpus: str | None
    postgres_url: str | None
    check: bool = False


@dataclass
class Measurement:
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: dict[str, int]
    mean_ms: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def basic_auth(data: datagen.Dataset) -> str:
    return "Basic " + base64.b64encode(f"{data.account_sid}:{data.auth_token}".encode()).decode()


def wrk(settings: Settings, base: str, requests_file: Path, auth: str, seconds: int) -> Measurement:
    cmd = ["wrk", f"-t{settings.threads}", f"-c{settings.connections}", f"-d{seconds}s", "--timeout", "10s"]
    cmd += ["-s", str(LUA), base, "--", str(requests_file), auth]
    out = subprocess.run(pinned(cmd, settings.wrk_cpus), capture_output=True, text=True, check=False)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    lat = raw["latency_us"]
    return Measurement(
        rps=raw["requests"] / (raw["duration_us"] / 1e6),
        p50_ms=lat["p50"] / 1000,
        p90_ms=lat["p90"] / 1000,
        p99_ms=lat["p99"] / 1000,
        max_ms=lat["max"] / 1000,
        requests=raw["requests"],
        errors={k: int(v) for k, v in raw["errors"].items() if v},
        mean_ms=lat["mean"] / 1000,
    )


def combine(rounds: list[Measurement]) -> Measurement:
    """One measurement from several rounds: throughput over all of them, latency percentiles
    averaged over the rounds (wrk reports percentiles, not its histogram)."""
    total_s = sum(r.requests / r.rps for r in rounds if r.rps)
    errors: dict[str, int] = {}
    for r in rounds:
        for kind, n in r.errors.items():
            errors[kind] = errors.get(kind, 0) + n
    n = len(rounds)
    return Measurement(
        rps=sum(r.requests for r in rounds) / total_s if total_s else 0.0,
        p50_ms=sum(r.p50_ms for r in rounds) / n,
        p90_ms=sum(r.p90_ms for r in rounds) / n,
        p99_ms=sum(r.p99_ms for r in rounds) / n,
        max_ms=max(r.max_ms for r in rounds),
        requests=sum(r.requests for r in rounds),
        errors=errors,
        mean_ms=sum(r.mean_ms for r in rounds) / n,
    )


def sample(base: str, req: Request, auth: str) -> tuple[int, bytes]:
    """Send one of the scenario's requests: its status is checked, its body is what bare serves."""
    headers = {"Authorization": auth}
    if req.body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    data = req.body.encode() if req.body else None
    request = urllib.request.Request(base + req.path, data=data, headers=headers, method=req.method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def fmt_measurement(m: Measurement) -> str:
    errors = f"  ERRORS {m.errors}" if m.errors else ""
    return f"{m.rps:9,.0f} req/s  p50 {m.p50_ms:6.2f} ms  p99 {m.p99_ms:6.2f} ms{errors}"
