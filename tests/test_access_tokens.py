"""Access tokens (domain/access_tokens.py) minted by Twilio's own libraries: twilio-python's
`AccessToken` + `ChatGrant` and twilio-node's (tests/node/access_tokens.mjs), verified against a
real database of each engine; every refusal code from both libraries where the library can make
such a token. The same verifier guards the media routes through a running server
(tests/test_media.py), where X-Twilio-Token is proven end to end.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from twilio.jwt.access_token import AccessToken, AccessTokenGrant
from twilio.jwt.access_token.grants import ChatGrant, VideoGrant
from twilio.jwt.client import ClientCapabilityToken

from chinwag import bootstrap
from chinwag.domain import access_tokens
from chinwag.domain.access_tokens import TokenRefused
from chinwag.storage.db import open_database
from tests.conftest import ENGINES, empty_database_url
from tests.support.node import npm_ci, tool
from tests.test_twilio_node import NODE_DIR


class IpMessagingGrant(AccessTokenGrant):  # type: ignore[misc]
    """Programmable Chat's grant, as twilio-python 6 shipped it (removed from later versions)."""

    def __init__(self, service_sid: str) -> None:
        self.service_sid = service_sid

    @property
    def key(self) -> str:
        return "ip_messaging"

    def to_payload(self) -> dict[str, str]:
        return {"service_sid": self.service_sid}


@dataclass
class Tenant:
    account_sid: str
    auth_token: str
    key_sid: str
    secret: str
    service_sid: str  # the account's default Conversation Service
    other_service_sid: str  # a second service of the account


@dataclass
class World:
    url: str
    a: Tenant
    b: Tenant
    deleted_key_sid: str
    deleted_secret: str


async def _sql(url: str, sql: str, *args: Any) -> Any:
    db = open_database(url)
    await db.start()
    try:
        async with db.write() as tx:
            return await tx.all(sql, *args)
    finally:
        await db.close()


def _tenant(url: str) -> Tenant:
    sid, token = bootstrap.create_account(url)
    key, secret = bootstrap.create_key(url, sid, "tokens")
    rows = asyncio.run(_sql(url, "SELECT default_chat_service_sid FROM account_configs WHERE account_sid = ?", sid))
    service = rows[0]["default_chat_service_sid"]
    other = "IS" + key[2:]  # any unused SID of the right shape
    asyncio.run(
        _sql(
            url,
            "INSERT INTO services (sid, account_sid, friendly_name, date_created, date_updated) VALUES (?, ?, ?, ?, ?)",
            other,
            sid,
            "second",
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z",
        )
    )
    return Tenant(sid, token, key, secret, service, other)


@pytest.fixture(scope="module", params=ENGINES)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with empty_database_url(request.param, tmp_path_factory.mktemp(f"tokens-{request.param}")) as url:
        a, b = _tenant(url), _tenant(url)
        gone, gone_secret = bootstrap.create_key(url, a.account_sid, "deleted")
        asyncio.run(_sql(url, "DELETE FROM api_keys WHERE sid = ?", gone))
        yield World(url, a, b, gone, gone_secret)


def verify(world: World, token: str, now: float | None = None) -> access_tokens.ChatGrant:
    async def run() -> access_tokens.ChatGrant:
        db = open_database(world.url)
        await db.start()
        try:
            return await access_tokens.verify(db, token, time.time() if now is None else now)
        finally:
            await db.close()

    return asyncio.run(run())


def refused(world: World, token: str, code: int, says: str, now: float | None = None) -> None:
    with pytest.raises(TokenRefused) as caught:
        verify(world, token, now)
    assert (caught.value.code, caught.value.status) == (code, 401), caught.value.message
    assert says in caught.value.message, caught.value.message


def py_token(t: Tenant, *, identity: str | None = "alice", service: str | None = None, **kw: Any) -> str:
    grant = ChatGrant(service_sid=service or t.service_sid)
    token = AccessToken(t.account_sid, kw.pop("key", t.key_sid), kw.pop("secret", t.secret), identity=identity, **kw)
    token.add_grant(grant)
    return str(token.to_jwt())


def node_tokens(specs: list[dict[str, Any]]) -> list[str]:
    node = tool("node")
    npm_ci(NODE_DIR)
    done = subprocess.run(
        [node, "access_tokens.mjs"],
        cwd=NODE_DIR,
        input=json.dumps(specs),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    tokens: list[str] = json.loads(done.stdout)
    return tokens


def node_spec(t: Tenant, **kw: Any) -> dict[str, Any]:
    return {
        "accountSid": t.account_sid,
        "keySid": t.key_sid,
        "secret": t.secret,
        "identity": "alice",
        "serviceSid": t.service_sid,
        "grant": "chat",
        **kw,
    }


# --- accepted ---------------------------------------------------------------------------------


def test_a_python_token_gives_its_grant(world: World) -> None:
    token = py_token(world.a, identity="alice", ttl=600)
    grant = verify(world, token)
    assert (grant.account_sid, grant.api_key_sid, grant.identity, grant.service_sid) == (
        world.a.account_sid,
        world.a.key_sid,
        "alice",
        world.a.service_sid,
    )
    assert grant.token == token
    assert abs(grant.expires_at - (time.time() + 600)) < 5


def test_node_tokens_of_every_algorithm_are_accepted(world: World) -> None:
    specs = [node_spec(world.a, algorithm=alg, identity=f"u-{alg}") for alg in ("HS256", "HS384", "HS512")]
    specs.append(node_spec(world.a, serviceSid=world.a.other_service_sid, identity="bob"))
    grants = [verify(world, token) for token in node_tokens(specs)]
    assert [(g.identity, g.service_sid) for g in grants] == [
        ("u-HS256", world.a.service_sid),
        ("u-HS384", world.a.service_sid),
        ("u-HS512", world.a.service_sid),
        ("bob", world.a.other_service_sid),
    ]


def test_a_grant_without_service_means_the_default_service(world: World) -> None:
    """docs/decisions.md #143."""
    [token] = node_tokens([node_spec(world.a, serviceSid=None)])
    assert verify(world, token).service_sid == world.a.service_sid


def test_the_legacy_ip_messaging_grant_is_accepted(world: World) -> None:
    token = AccessToken(world.b.account_sid, world.b.key_sid, world.b.secret, identity="carol")
    token.add_grant(IpMessagingGrant(service_sid=world.b.other_service_sid))
    grant = verify(world, str(token.to_jwt()))
    assert (grant.identity, grant.service_sid) == ("carol", world.b.other_service_sid)


def test_clock_skew_within_the_leeway_is_forgiven(world: World) -> None:
    """docs/decisions.md #142: a token that expired 30 s ago or starts 30 s from now still works."""
    now = time.time()
    verify(world, py_token(world.a, valid_until=int(now) - 30, nbf=int(now) - 600))
    verify(world, py_token(world.a, nbf=int(now) + 30))


def test_the_callers_clock_decides(world: World) -> None:
    """The emulator's per-account clocks reach the verifier as `now`."""
    token = py_token(world.a, ttl=600)
    verify(world, token, now=time.time() + 500)
    refused(world, token, 20104, "expired", now=time.time() + 3600)


# --- refused ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "not-a-token", "a.b", "a.b.c", "x" * 20_000])
def test_20101_not_a_jwt(world: World, text: str) -> None:
    refused(world, text, 20101, "not a JWT")


def test_20102_a_capability_token_is_not_an_access_token(world: World) -> None:
    capability = ClientCapabilityToken(world.a.account_sid, world.a.auth_token)
    capability.allow_client_outgoing("AP" + "0" * 32)
    refused(world, str(capability.to_jwt()), 20102, "cty must be 'twilio-fpa;v=1'")
    [node_capability] = node_tokens([{"accountSid": world.a.account_sid, "secret": "x", "grant": "capability"}])
    refused(world, node_capability, 20102, "cty")


def test_20103_bad_issuer_or_subject(world: World) -> None:
    a, b = world.a, world.b
    # Another account's key, claiming this account.
    refused(world, py_token(a, key=b.key_sid, secret=b.secret), 20103, f"is not an API key of account {a.account_sid}")
    # A deleted key.
    refused(world, py_token(a, key=world.deleted_key_sid, secret=world.deleted_secret), 20103, "is not an API key")
    # Signed with the auth token, the account SID as issuer: a documented mistake.
    refused(world, py_token(a, key=a.account_sid, secret=a.auth_token), 20103, "not the auth token")
    [node_foreign] = node_tokens([node_spec(a, keySid=b.key_sid, secret=b.secret)])
    refused(world, node_foreign, 20103, "is not an API key")


def test_20104_expired(world: World) -> None:
    refused(world, py_token(world.a, valid_until=int(time.time()) - 120), 20104, "expired at")
    [node_expired] = node_tokens([node_spec(world.a, ttl=-3600)])
    refused(world, node_expired, 20104, "expired at")


def test_20105_not_yet_valid(world: World) -> None:
    refused(world, py_token(world.a, nbf=int(time.time()) + 3600), 20105, "valid from")
    [node_later] = node_tokens([node_spec(world.a, nbf=int(time.time()) + 3600)])
    refused(world, node_later, 20105, "valid from")


def test_20106_bad_grants(world: World) -> None:
    a, b = world.a, world.b
    refused(world, py_token(a, identity=None), 20106, "grants.identity is required")
    refused(world, py_token(a, identity="x" * 257), 20106, "at most 256 characters")
    refused(world, py_token(a, identity="nul\x00"), 20106, "without NUL")
    refused(world, py_token(a, service=b.service_sid), 20106, f"is not a Conversation Service of {a.account_sid}")
    refused(world, py_token(a, service="IS" + "f" * 32), 20106, "is not a Conversation Service")
    video = AccessToken(a.account_sid, a.key_sid, a.secret, identity="alice")
    video.add_grant(VideoGrant(room="lobby"))
    refused(world, str(video.to_jwt()), 20106, "no chat grant")
    node_video, node_foreign = node_tokens([node_spec(a, grant="video"), node_spec(a, serviceSid=b.service_sid)])
    refused(world, node_video, 20106, "no chat grant")
    refused(world, node_foreign, 20106, "is not a Conversation Service")


def test_20107_bad_signature(world: World) -> None:
    refused(world, py_token(world.a, secret="0" * 32), 20107, "not signed with the secret")
    [node_wrong] = node_tokens([node_spec(world.a, secret="0" * 32, algorithm="HS512")])
    refused(world, node_wrong, 20107, "not signed with the secret")
    # A valid token with one payload character changed.
    token = py_token(world.a)
    head, payload, sig = token.split(".")
    tampered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    with pytest.raises(TokenRefused) as caught:
        verify(world, f"{head}.{tampered}.{sig}")
    assert caught.value.code in (20101, 20107)


def test_20157_lifetime_over_24_hours(world: World) -> None:
    refused(world, py_token(world.a, ttl=86_400 + 600), 20157, "maximum is 86400")
    [node_long] = node_tokens([node_spec(world.a, ttl=90_000)])
    refused(world, node_long, 20157, "maximum is 86400")
    verify(world, py_token(world.a, ttl=86_400))  # exactly 24 hours is allowed


@pytest.mark.parametrize(
    ("claim", "value", "code"),
    [("exp", "NaN", 20104), ("exp", "1e999", 20104), ("exp", "1" + "0" * 400, 20104), ("nbf", "NaN", 20105)],
)
def test_times_that_are_not_times_are_refused(world: World, claim: str, value: str, code: int) -> None:
    """A key holder could sign anything (no Twilio library makes such a token, so PyJWT signs it);
    a non-finite or out-of-range time must not pass as one."""
    now = int(time.time())
    claims = {"iss": world.a.key_sid, "sub": world.a.account_sid, "exp": now + 60, "nbf": now, "grants": {}}
    payload = json.dumps(claims).replace(f'"{claim}": {claims[claim]}', f'"{claim}": {value}')
    token = jwt.api_jws.encode(payload.encode(), world.a.secret, "HS256", headers={"cty": "twilio-fpa;v=1"})
    refused(world, token, code, f"{claim} must be a number")
