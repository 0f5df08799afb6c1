"""One HTTP request to a webhook: signed, to a checked address, within the URL's timeouts.

Used by the dispatcher (post-events) and by pre-event calls alike. The URL requested is the
configured one without its fragment (fragment.py); for GET the parameters are appended to its
query. What is signed is that URL exactly as it goes on the wire: normalised once (characters a
client must percent-encode are encoded), then sent with `encoded=True` so the HTTP client does
not re-encode it (docs/decisions.md #74). aiohttp, not httpx: with 50 deliveries in flight httpx
stalled until its timeouts on this machine, aiohttp did not (bench/webhooks.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
from yarl import URL

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
    """The URL as requested (no fragment; GET: parameters in the query), percent-encoded."""
    base, _ = fragment.split(url)
    text = str(URL(base))  # encodes what must be encoded, leaves valid escapes alone
    if method == "GET" and params:
        text += ("&" if "?" in text else "?") + urlencode(params)
    return text


class Sender:
    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            # No connection cap: the dispatcher bounds how many lanes it works at once.
            connector = aiohttp.TCPConnector(limit=0, use_dns_cache=False)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True, trust_env=False)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, req: Request, auth_token: str) -> Result:
        _, over = fragment.split(req.url)
        method = req.method.upper()
        url = wire_url(req.url, method, req.params)
        target = URL(url, encoded=True)
        form = [] if method == "GET" else req.params
        host = target.host or ""
        port = target.port or (443 if target.scheme == "https" else 80)
        headers = {
            "Host": target.raw_authority,
            "X-Twilio-Signature": signing.signature(auth_token, url, form),
            "I-Twilio-Idempotency-Token": req.token,
            "User-Agent": "TwilioProxy/1.1 (chinwag)",
        }
        try:
            address = await self.guard.resolve(host, port)
        except Refused as exc:
            return Result(None, None, str(exc))
        except OSError as exc:
            return Result(None, None, f"cannot resolve {host}: {exc}")
        # Connect to the checked address; the Host header and TLS SNI keep the name.
        direct = target.with_host(address)
        timeout = aiohttp.ClientTimeout(total=over.total, sock_connect=over.connect, sock_read=over.read)
        data = None
        if method != "GET":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            data = urlencode(form).encode()
        try:
            async with self._client().request(
                method,
                direct,
                headers=headers,
                data=data,
                timeout=timeout,
                allow_redirects=False,
                server_hostname=host if target.scheme == "https" else None,
            ) as response:
                content = await response.read()
                status = response.status
        except TimeoutError:
            return Result(None, None, f"timed out after {over.total:g} s")
        except aiohttp.ClientError as exc:
            return Result(None, None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        body = content[:BODY_KEPT].decode("utf-8", errors="replace")
        return Result(status, body, None, content)
