"""One deliberate success per implemented operation, checked for Twilio's exact wire shape.

Fuzzing rarely builds a valid create (a Role needs real permission names, a Participant a live
conversation), so this test makes sure every operation's success body is validated at least once:
path parameters from real resources (world.py), a create body from world.RECIPES, an empty body
for updates, and for lists the first two pages (PageSize=1) so later-page `meta` is checked too.

The operations come from the app's routes: a new route is covered with no edit here. A new
operation that cannot succeed this way (its create needs parameters) fails with a pointer to
RECIPES.

`test_requires_credentials`: every operation refuses a request without, or with wrong, Basic
credentials with Twilio's 401 (code 20003, `WWW-Authenticate`).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Running
from tests.contract.gate import GATE_SPEC, OPERATIONS
from tests.contract.wire import response_schema, wire_problems
from tests.contract.world import World


def _is_create(path: str, method: str) -> bool:
    return method == "POST" and not path.endswith("}") and "201" in GATE_SPEC["paths"][path]["post"]["responses"]


def _check(path: str, method: str, response: httpx.Response, base: str) -> None:
    assert response.status_code < 300, (
        f"{method} {path} did not succeed: {response.status_code} {response.text[:500]}"
        + ("\n(a create may need a recipe in tests/contract/world.py RECIPES)" if _is_create(path, method) else "")
    )
    headers = {name.lower(): value for name, value in response.headers.items()}
    problems = wire_problems(GATE_SPEC, path, method, response.status_code, headers, response.content, base)
    assert not problems, f"{method} {response.request.url}:\n  " + "\n  ".join(problems)


def _is_list(path: str, method: str) -> bool:
    schema = response_schema(GATE_SPEC, path, method, 200) if method == "GET" else None
    return schema is not None and "meta" in schema.get("properties", {})


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_success_has_twilio_shape(path: str, method: str, running: Running, world: World) -> None:
    url = path.format(**world.resolve(path, method))
    if not _is_list(path, method):
        _check(path, method, world.http.request(method, url, data=world.body(path, method)), running.url)
        return
    params: dict[str, Any] = {**world.query(url), "PageSize": 1}
    response = world.http.get(url, params=params)
    _check(path, method, response, running.url)
    if response.json()["meta"]["next_page_url"] is None and "post" in GATE_SPEC["paths"][path]:
        # A second record, so there is a second page to follow.
        made = world.http.post(url, data=world.body(path, "POST"))
        assert made.status_code == 201, made.text
        response = world.http.get(url, params=params)
        _check(path, method, response, running.url)
    next_url = response.json()["meta"]["next_page_url"]
    if next_url is not None:
        _check(path, method, world.http.get(next_url), running.url)


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_requires_credentials(path: str, method: str, running: Running, world: World) -> None:
    """Every operation answers 401/20003 in Twilio's body without, or with wrong, Basic credentials."""
    url = running.url + path.format(**world.resolve(path, method))
    for auth in (None, (world.account_sid, "0" * 32)):
        response = httpx.request(method, url, auth=auth, data=world.body(path, method))
        assert response.status_code == 401, f"{method} {url} with {auth and 'a wrong token'}: {response.text}"
        assert response.json()["code"] == 20003
        assert response.headers["www-authenticate"] == 'Basic realm="Twilio API"'
        headers = {name.lower(): value for name, value in response.headers.items()}
        assert wire_problems(GATE_SPEC, path, method, 401, headers, response.content, running.url) == []
