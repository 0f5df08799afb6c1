"""One HTTP request to a webhook: signed, to a checked address, within the URL's timeouts.

Used by the dispatcher (post-events) and by pre-event calls alike. The URL requested is the
configured one without its fragment (fragment.py); for GET the parameters are appended to its
query. What is signed is that URL exactly as it goes on the wire (httpx's normal form of it), so a
receiver that validates the URL it was called on agrees (docs/decisions.md #74).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from chinwag.events import fragment, signing
from chinwag.events.ssrf import Guard, Refused

BODY_KEPT = 1024  # bytes of a response body kept in the delivery log


@dataclass(frozen=True, slots=True)
class Result:
    status: int | None
    body: str | None
    error: str | None  # why no answer came, or why it was refused
    content: bytes = b""  # the whole response body (pre-event hooks read their JSON from it)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        """Connection errors, timeouts, 429 and 5xx; a refused address or another 4xx is final."""
        if self.status is None:
            return self.error is not None and not self.error.startswith("refused")
        return self.status == 429 or self.status >= 500


@dataclass(frozen=True, slots=True)
class Request:
    url: str  # as configured, fragment included
    method: str
    params: list[tuple[str, str]]
    token: str  # I-Twilio-Idempotency-Token


def wire_url(url: str, method: str, params: list[tuple[str, str]]) -> str:
    """The URL as requested (no fragment; GET: parameters in the query) in httpx's normal form."""
    base, _ = fragment.split(url)
    if method == "GET" and params:
        base += ("&" if "?" in base else "?") + urlencode(params)
    return str(httpx.URL(base))


class Sender:
    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        # No connection cap: the dispatcher bounds how many lanes it works at once.
        self.client = httpx.AsyncClient(
            follow_redirects=False,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
            trust_env=False,
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def send(self, req: Request, auth_token: str) -> Result:
        _, over = fragment.split(req.url)
        method = req.method.upper()
        url = wire_url(req.url, method, req.params)
        target = httpx.URL(url)
        form = [] if method == "GET" else req.params
        headers = {
            "Host": target.netloc.decode("ascii"),
            "X-Twilio-Signature": signing.signature(auth_token, url, form),
            "I-Twilio-Idempotency-Token": req.token,
            "User-Agent": "TwilioProxy/1.1 (chinwag)",
        }
        try:
            address = await self.guard.resolve(target.host, target.port or (443 if target.scheme == "https" else 80))
        except Refused as exc:
            return Result(None, None, str(exc))
        except OSError as exc:
            return Result(None, None, f"cannot resolve {target.host}: {exc}")
        timeout = httpx.Timeout(connect=over.connect, read=over.read, write=over.read, pool=over.connect)
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            async with asyncio.timeout(over.total):
                if method == "GET":
                    response = await self.client.request(
                        "GET", target.copy_with(host=address), headers=headers, timeout=timeout, extensions=extensions
                    )
                else:
                    response = await self.client.request(
                        method,
                        target.copy_with(host=address),
                        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
                        content=urlencode(form).encode(),
                        timeout=timeout,
                        extensions=extensions,
                    )
        except TimeoutError:
            return Result(None, None, f"timed out after {over.total:g} s")
        except httpx.TimeoutException as exc:
            return Result(None, None, f"timed out ({type(exc).__name__})")
        except httpx.HTTPError as exc:
            return Result(None, None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        body = response.content[:BODY_KEPT].decode("utf-8", errors="replace")
        return Result(response.status_code, body, None, response.content)
