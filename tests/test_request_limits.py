"""A request body past the limit is refused with 413/20413 before it is read whole (decisions)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from chinwag.http.context import MAX_BODY
from tests.conftest import error_of


def test_a_body_past_the_limit_is_refused_and_changes_nothing(http: httpx.Client) -> None:
    body = "Identity=big&Attributes=" + "x" * MAX_BODY
    response = http.post("/v1/Users", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert error_of(response)["code"] == 20413
    assert http.get("/v1/Users/big").status_code == 404


def test_a_chunked_body_past_the_limit_is_refused_too(http: httpx.Client) -> None:
    """Without a Content-Length the limit applies while reading."""

    def chunks() -> Iterator[bytes]:
        yield b"FriendlyName="
        for _ in range(MAX_BODY // 65536 + 2):
            yield b"y" * 65536

    before = http.get("/v1/Services").json()["services"]
    response = http.post(
        "/v1/Services", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == 20413
    assert http.get("/v1/Services").json()["services"] == before


def test_a_body_at_the_limit_is_read(http: httpx.Client) -> None:
    """Right at the limit the request is parsed and judged on its content (here: attributes too long)."""
    prefix = "Identity=edge&Attributes="
    body = prefix + "x" * (MAX_BODY - len(prefix))
    response = http.post("/v1/Users", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
    assert error_of(response)["code"] in (50303, 50304)
