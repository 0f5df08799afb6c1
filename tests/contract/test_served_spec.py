"""`GET /openapi.json`, the coverage matrix (docs/COVERAGE.md) and the spec-exception list stay true."""

from __future__ import annotations

from pathlib import Path

import httpx

from chinwag.contract import coverage
from chinwag.contract.spec import implemented_operations, load_spec, spec_operations, template_key, unknown_routes
from tests.conftest import Running
from tests.contract.gate import FULL_SPEC, OPERATIONS, ROUTES, stale_exceptions
from tests.contract.spec_exceptions import EXCEPTIONS


def test_coverage_matrix_is_current(repo_root: Path) -> None:
    text = (repo_root / "docs" / "COVERAGE.md").read_text(encoding="utf-8")
    assert text == coverage.render(ROUTES), (
        "docs/COVERAGE.md is stale: run `.venv/bin/python -m chinwag.contract.coverage` and commit it"
    )


def test_every_route_is_in_the_spec() -> None:
    assert unknown_routes(ROUTES) == [], "routes the spec lacks (only /health and /openapi.json may be extra)"


def test_matrix_lists_every_operation_of_the_spec() -> None:
    text = coverage.render(ROUTES)
    for path, method in spec_operations(FULL_SPEC):
        assert f"| `{path}` | {method} |" in text


def test_unknown_routes_are_detected() -> None:
    """The check above can fail: a route the spec lacks is reported, a spec route is not."""
    from starlette.routing import Route

    async def nothing() -> None: ...

    extra = [Route("/v1/Nonsense/{Sid}", nothing, methods=["GET"]), Route("/v1/Users", nothing, methods=["PUT"])]
    assert unknown_routes([*ROUTES, *extra]) == [("/v1/Nonsense/{Sid}", "GET"), ("/v1/Users", "PUT")]
    assert ("/v1/Users", "PUT") not in implemented_operations([*ROUTES, *extra])


def test_spec_exceptions_are_current_and_reasoned() -> None:
    assert stale_exceptions(FULL_SPEC, EXCEPTIONS) == []


def test_served_spec(running: Running) -> None:
    response = httpx.get(running.url + "/openapi.json")  # no credentials, like /health
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    spec = response.json()
    assert spec["openapi"] == FULL_SPEC["openapi"]
    assert spec["servers"] == [{"url": running.url}]
    served = spec_operations(spec)
    assert served == OPERATIONS, "served operations differ from the app's implemented ones"
    for item in spec["paths"].values():
        assert item.get("servers", [{"url": running.url}]) == [{"url": running.url}]
    # Operations are Twilio's, untouched.
    full = load_spec()
    for path, method in served:
        assert spec["paths"][path][method.lower()] == full["paths"][path][method.lower()]
    # Every schema an operation refers to is there, and no unrelated one.
    text = response.text
    for name in spec["components"]["schemas"]:
        assert f'"#/components/schemas/{name}"' in text
    refs = {part.split('"')[0] for part in text.split('"$ref":"#/components/schemas/')[1:]}
    assert refs <= set(spec["components"]["schemas"])
    assert spec["components"]["securitySchemes"] == full["components"]["securitySchemes"]


def test_served_spec_names_the_host_the_client_used(running: Running) -> None:
    response = httpx.get(running.url + "/openapi.json", headers={"Host": "chat.example.org:8443"})
    assert response.json()["servers"] == [{"url": "http://chat.example.org:8443"}]


def test_template_key_ignores_parameter_names() -> None:
    assert template_key("/v1/Services/{ChatServiceSid}/Users/{Sid}") == template_key("/v1/Services/{X}/Users/{Y:path}")
    assert template_key("/v1/Users/{Sid}") != template_key("/v1/Users/{Sid}/Conversations")
