"""The spec the gate checks against: Twilio's, cut to the operations the app's routes implement
(the same cut `GET /openapi.json` serves), with spec_exceptions.py applied and nothing else."""

from __future__ import annotations

import copy
from typing import Any

from chinwag.contract.coverage import app_routes
from chinwag.contract.spec import implemented_operations, implemented_spec, load_spec
from tests.contract.spec_exceptions import EXCEPTIONS, SpecException

# Placeholder host: the tests pass each running server's URL explicitly.
PLACEHOLDER_BASE = "http://chinwag.invalid"


def stale_exceptions(spec: dict[str, Any], exceptions: list[SpecException]) -> list[str]:
    """Entries that no longer match Twilio's (whole) spec."""
    schemas = spec["components"]["schemas"]
    problems = []
    for exc in exceptions:
        props = schemas.get(exc.schema, {}).get("properties")
        if props is None:
            problems.append(f"{exc.schema}: no such schema in the spec")
        elif exc.kind == "extra" and exc.prop in props:
            problems.append(f"{exc.schema}.{exc.prop}: the spec now lists it, drop the `extra` entry")
        elif exc.kind == "extra" and exc.extra_schema is None:
            problems.append(f"{exc.schema}.{exc.prop}: an `extra` entry needs extra_schema")
        elif exc.kind != "extra" and exc.prop not in props:
            problems.append(f"{exc.schema}.{exc.prop}: no such property in the spec")
        elif exc.kind == "nullable" and props[exc.prop].get("nullable"):
            problems.append(f"{exc.schema}.{exc.prop}: already nullable in the spec, drop the entry")
        if not exc.reason.strip():
            problems.append(f"{exc.schema}.{exc.prop}: no reason given")
    return problems


def apply_exceptions(spec: dict[str, Any], exceptions: list[SpecException]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    schemas = spec.get("components", {}).get("schemas", {})
    for exc in exceptions:
        schema = schemas.get(exc.schema)
        if schema is None:  # not used by an implemented operation
            continue
        props = schema.setdefault("properties", {})
        if exc.kind == "nullable":
            props[exc.prop]["nullable"] = True
        elif exc.kind == "optional":
            schema.setdefault("x-chinwag-optional", []).append(exc.prop)
        elif exc.kind == "extra":
            props[exc.prop] = copy.deepcopy(exc.extra_schema)
    return spec


ROUTES = app_routes()
OPERATIONS = implemented_operations(ROUTES)
GATE_SPEC = apply_exceptions(implemented_spec(ROUTES, PLACEHOLDER_BASE), EXCEPTIONS)
FULL_SPEC = load_spec()
