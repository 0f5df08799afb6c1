"""Spec-driven fuzzing: schemathesis generates requests for every implemented operation from Twilio's
spec and sends them over real HTTP (Basic auth of a fresh account) to `chinwag serve`, on SQLite and
on PostgreSQL. Every response must be: no 5xx; a success valid against Twilio's schema with the
right content type and the exact wire shape (tests/contract/wire.py); an error in Twilio's body.

Path parameters are a mix: most name real resources of the account (tests/contract/world.py), the
rest keep the generated value, so both success and not-found paths are exercised. The choice hangs
on the generated value itself, so a derandomized run is repeatable.

The operations come from the app's routes, so a new route is fuzzed without an edit here. Bounded:
few examples per operation, derandomized (`CHINWAG_FUZZ_EXAMPLES` raises the count for a deep run).
"""

from __future__ import annotations

import os
import zlib
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.conftest import Account, Running
from tests.contract.gate import GATE_SPEC
from tests.contract.wire import wire_problems
from tests.contract.world import World

MAX_EXAMPLES = int(os.environ.get("CHINWAG_FUZZ_EXAMPLES", "12"))

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(GATE_SPEC, config=CONFIG)


@schemathesis.check
def twilio_wire(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Case[Any]) -> bool | None:
    """Twilio's exact wire shape (see wire.py) on every response."""
    headers = {name.lower(): values[0] for name, values in response.headers.items() if values}
    base = response.request.url.split("/v1/", 1)[0] if response.request.url else ""
    problems = wire_problems(
        GATE_SPEC, case.operation.path, case.method, response.status_code, headers, response.content, base
    )
    if problems:
        raise AssertionError("; ".join(problems))
    return None


CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance, twilio_wire]


def _keeps_generated(value: object) -> bool:
    """One path parameter in four keeps its generated value (a stable choice, not a random one)."""
    return zlib.crc32(repr(value).encode()) % 4 == 0


@schema.parametrize()
@settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    max_examples=MAX_EXAMPLES,
)
def test_operation(case: Case[Any], running: Running, account: Account, world: World) -> None:
    if case.path_parameters:
        real = world.resolve(case.operation.path, case.method)
        for name, value in list(case.path_parameters.items()):
            if not _keeps_generated(value):
                case.path_parameters[name] = real[name]
    response = case.call(base_url=running.url, auth=(account.sid, account.token), timeout=30)
    case.validate_response(response, checks=CHECKS)
