"""One HTTP request to a webhook: signed, to a checked address, within the URL's timeouts.

Used by the dispatcher (post-events) and by pre-event calls alike. The URL requested is the
configured one without its fragment (fragment.py); for GET the parameters are appended to its
query. What is signed is that URL exactly as it goes on the wire: normalised once (characters a
client must percent-encode are encoded), then sent with `encoded=True` so the HTTP client does
not re-encode it (docs/decisions.md #74). The request goes through http_client.py (why not a
general-purpose client: see there).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from yarl import URL

from chinwag.events import fragment, signing
from chinwag.events.http_client import HttpClient, ResponseTooLarge, Timeouts
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
        self._http = HttpClient()

    async def close(self) -> None:
        self._http.close()

    async def send(self, req: Request, auth_token: str) -> Result:
        _, over = fragment.split(req.url)
        method = req.method.upper()
        url = wire_url(req.url, method, req.params)
        target = URL(url, encoded=True)
        form = [] if method == "GET" else req.params
        host = target.host or ""
        tls = target.scheme == "https"
        port = target.port or (443 if tls else 80)
        body = b"" if method == "GET" else urlencode(form).encode()
        head = [
            f"{method} {target.raw_path_qs or '/'} HTTP/1.1",
            f"Host: {target.raw_authority}",
            f"X-Twilio-Signature: {signing.signature(auth_token, url, form)}",
            f"I-Twilio-Idempotency-Token: {req.token}",
            "User-Agent: TwilioProxy/1.1 (chinwag)",
            "Accept: */*",
        ]
        if method != "GET":
            head.append("Content-Type: application/x-www-form-urlencoded")
            head.append(f"Content-Length: {len(body)}")
        try:
            address = await self.guard.resolve(host, port)
        except Refused as exc:
            return Result(None, None, str(exc))
        except OSError as exc:
            return Result(None, None, f"cannot resolve {host}: {exc}")
        # Connect to the checked address; the Host header and TLS SNI keep the name.
        timeouts = Timeouts(connect=over.connect, read=over.read, total=over.total)
        try:
            status, content = await self._http.request(
                address=address,
                port=port,
                tls_name=host if tls else None,
                head=("\r\n".join(head) + "\r\n\r\n").encode("latin-1"),
                body=body,
                timeouts=timeouts,
            )
        except TimeoutError:
            return Result(None, None, f"timed out after {over.total:g} s")
        except (OSError, ResponseTooLarge) as exc:  # ConnectionError and ssl errors are OSErrors
            return Result(None, None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        text = content[:BODY_KEPT].decode("utf-8", errors="replace")
        return Result(status, text, None, content)
