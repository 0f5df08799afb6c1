"""Edge values, one parameter at a time, for every parameter of every implemented operation.

Random generation seldom hits the values that break servers: integers past 64 bits, more digits
than `int()` takes, non-ASCII digits, NUL, dates at the ends of the calendar, durations of
millennia, oversized text. This test sends each of them in each parameter the spec lists (path,
query and form), with real resources and a valid body around it, and requires what the fuzzer
requires: no 5xx, and either a success in Twilio's exact shape or Twilio's error body.

Parameters come from the spec and operations from the app's routes: nothing to edit for a new one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import Running
from tests.contract.gate import GATE_SPEC, OPERATIONS
from tests.contract.wire import resolve, wire_problems
from tests.contract.world import World

VALUES = [
    "",
    "null",
    "-1",
    "9" * 25,  # past 64 bits
    "1" * 5000,  # past int()'s digit limit
    "²",  # str.isdigit() but not int()
    "٣",  # an Arabic-Indic digit: int() takes it
    "a\x00b",  # no PostgreSQL text column holds NUL
    "💬" * 2000,  # long, and 4-byte UTF-8
    "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
    "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
    "P99999999999999999999W",  # a duration of ages
    "[" * 2000 + "]" * 2000,  # nested past any recursion limit (docs/decisions.md #40)
    "[NaN]",  # json.loads takes it, RFC 8259 does not
    "1_0",  # int() takes it (docs/decisions.md #39)
    "team/ann",  # a slash inside one path segment (docs/decisions.md #43)
]


def _parameters(path: str, method: str) -> list[tuple[str, str]]:
    """(location, name) of every parameter the spec lists for the operation."""
    operation = GATE_SPEC["paths"][path][method.lower()]
    params = [*GATE_SPEC["paths"][path].get("parameters", []), *operation.get("parameters", [])]
    found = [(p["in"], p["name"]) for p in (resolve(GATE_SPEC, p) for p in params) if p["in"] in ("path", "query")]
    body = operation.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded")
    if body is not None:
        found += [("form", name) for name in resolve(GATE_SPEC, body["schema"]).get("properties", {})]
    return found


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_edge_values_never_break_the_server(path: str, method: str, running: Running, world: World) -> None:
    problems = []
    for location, name in _parameters(path, method):
        for value in VALUES:
            if location == "path" and value == "":
                continue  # `/v1/Users/` is another URL (the list), not an empty parameter
            path_params = world.resolve(path, method)
            query: dict[str, Any] = world.query(path.format(**path_params)) if method == "GET" else {}
            data = world.body(path, method)
            if location == "path":
                path_params[name] = quote(value, safe="")
            elif location == "query":
                query[name] = value
            else:
                assert data is not None
                data[name] = value
            response = world.http.request(method, path.format(**path_params), params=query, data=data)
            headers = {k.lower(): v for k, v in response.headers.items()}
            found = wire_problems(GATE_SPEC, path, method, response.status_code, headers, response.content, running.url)
            if response.status_code >= 500:
                found.append(f"{response.status_code}: {response.text[:200]}")
            problems += [f"{location} {name}={value[:30]!r}: {problem}" for problem in found]
    assert not problems, f"{method} {path}:\n  " + "\n  ".join(problems)
