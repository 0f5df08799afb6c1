"""Twilio's OpenAPI spec (shipped beside this module) and which of its operations this app serves.

"Implemented" is derived from the app's own routes, never from a hand list: an operation is
implemented when a route with the same path template (parameter names ignored) answers its method.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from typing import Any

from starlette.routing import BaseRoute, Mount, Route

SPEC_FILE = "twilio_conversations_v1.json"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Routes of this server that are not part of Twilio's API.
OWN_PATHS = frozenset({"/health", "/openapi.json"})
OWN_PREFIX = "/_chinwag/"  # chinwag's own API (emulator mode and friends)
# Other Twilio APIs served beside Conversations v1 (the 2010 API's Keys resource): not in this spec.
OTHER_API_PREFIXES = ("/2010-04-01/",)


def _own(path: str) -> bool:
    return path in OWN_PATHS or path.startswith(OWN_PREFIX) or path.startswith(OTHER_API_PREFIXES)


_PARAM = re.compile(r"\{[^}]*\}")

Operation = tuple[str, str]  # (path template, METHOD)


@cache
def _raw() -> bytes:
    return resources.files("chinwag.contract").joinpath(SPEC_FILE).read_bytes()


def load_spec() -> dict[str, Any]:
    """A fresh, mutable copy of Twilio's spec."""
    spec: dict[str, Any] = json.loads(_raw())
    return spec


def template_key(path: str) -> str:
    """`/v1/Services/{ChatServiceSid}/Users/{Sid}` → `/v1/Services/{}/Users/{}`."""
    return _PARAM.sub("{}", path)


def spec_operations(spec: dict[str, Any] | None = None) -> list[Operation]:
    """Every (path, METHOD) of the spec: paths in the spec's order, methods in METHODS order."""
    spec = spec if spec is not None else load_spec()
    return [(path, method) for path, item in spec["paths"].items() for method in METHODS if method.lower() in item]


def route_operations(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[Operation]:
    """(path template, METHOD) for every route of the app, HEAD left out."""
    for route in routes:
        if isinstance(route, Mount):
            yield from route_operations(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield prefix + route.path, method


def implemented_keys(routes: Iterable[BaseRoute]) -> set[tuple[str, str]]:
    return {(template_key(path), method) for path, method in route_operations(routes) if not _own(path)}


def implemented_operations(routes: Iterable[BaseRoute], spec: dict[str, Any] | None = None) -> list[Operation]:
    """The spec's operations that the routes answer, in the spec's order, with the spec's path names."""
    keys = implemented_keys(routes)
    return [(path, method) for path, method in spec_operations(spec) if (template_key(path), method) in keys]


def unknown_routes(routes: Iterable[BaseRoute], spec: dict[str, Any] | None = None) -> list[Operation]:
    """Routes (besides OWN_PATHS) that answer an operation the spec does not have."""
    known = {(template_key(path), method) for path, method in spec_operations(spec)}
    return sorted(
        (path, method)
        for path, method in route_operations(routes)
        if not _own(path) and (template_key(path), method) not in known
    )


def implemented_spec(routes: Iterable[BaseRoute], base_url: str) -> dict[str, Any]:
    """Twilio's spec cut down to the implemented operations, every `servers` pointing at `base_url`."""
    spec = load_spec()
    wanted: dict[str, set[str]] = {}
    for path, method in implemented_operations(routes, spec):
        wanted.setdefault(path, set()).add(method.lower())
    servers = [{"url": base_url.rstrip("/")}]
    paths: dict[str, Any] = {}
    for path, item in spec["paths"].items():
        if path not in wanted:
            continue
        kept = {key: value for key, value in item.items() if key.upper() not in METHODS or key in wanted[path]}
        if "servers" in kept:
            kept["servers"] = copy.deepcopy(servers)
        paths[path] = kept
    spec["paths"] = paths
    spec["servers"] = servers
    spec["info"]["description"] = (
        spec["info"].get("description", "")
        + " (Served by chinwag: Twilio's spec filtered to the operations this server implements.)"
    ).strip()
    schemas = spec.get("components", {}).get("schemas", {})
    used = _referenced_schemas(paths, schemas)
    spec["components"]["schemas"] = {name: schema for name, schema in schemas.items() if name in used}
    used_tags = {
        tag for item in paths.values() for op in item.values() if isinstance(op, dict) for tag in op.get("tags", [])
    }
    if "tags" in spec:
        spec["tags"] = [tag for tag in spec["tags"] if tag.get("name") in used_tags]
    return spec


_SCHEMA_REF = "#/components/schemas/"


def _referenced_schemas(root: Any, schemas: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
                name = ref[len(_SCHEMA_REF) :]
                if name not in seen and name in schemas:
                    seen.add(name)
                    stack.append(schemas[name])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return seen
