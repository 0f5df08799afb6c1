"""A media record as MCS answers it, and the signed temporary URL of its bytes.

`links.content_direct_temporary` is a URL anyone may fetch until it expires: the app hands it to an
`<img>` tag, with no token. Its signature is an HMAC-SHA256 over the media SID and the expiry, keyed
by the account's auth token (docs/decisions.md #146): no server secret to share between workers or
keep across restarts, and a rotated auth token withdraws every such URL at once.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import quote

from chinwag.domain.models import Media

PREFIX = "/_chinwag/mcs/v1/Services"
TEMPORARY_URL_SECONDS = 300


def media_url(base: str, service_sid: str) -> str:
    """The upload URL of a service: what `links.media_service` names for the chat client."""
    return f"{base}{PREFIX}/{service_sid}/Media"


def media_set_url(base: str, service_sid: str) -> str:
    return f"{base}{PREFIX}/{service_sid}/MediaSet"


def signature(auth_token: str, sid: str, expires: int) -> str:
    return hmac.new(auth_token.encode(), f"{sid}\n{expires}".encode(), hashlib.sha256).hexdigest()


def signature_ok(auth_token: str, sid: str, expires: int, given: str) -> bool:
    return hmac.compare_digest(signature(auth_token, sid, expires), given)


def record(media: Media, base: str, auth_token: str, now: float) -> dict[str, Any]:
    url = f"{media_url(base, media.chat_service_sid)}/{media.sid}"
    expires = int(now) + TEMPORARY_URL_SECONDS
    temporary = f"{url}/Content?Expires={expires}&Signature={signature(auth_token, media.sid, expires)}"
    return {
        "sid": media.sid,
        "account_sid": media.account_sid,
        "service_sid": media.chat_service_sid,
        "channel_sid": media.conversation_sid,
        "message_sid": media.message_sid,
        "date_created": media.date_created,
        "date_upload_updated": media.date_created,
        "date_updated": media.date_updated,
        "size": media.size,
        "content_type": media.content_type,
        "author": media.author,
        "url": url,
        "filename": media.filename,
        "category": media.category,
        "is_multipart_upstream": False,
        "links": {"content": f"{url}/Content", "content_direct_temporary": temporary},
    }


def content_disposition(filename: str | None) -> str:
    """`inline`, with the upload's name in RFC 6266/5987 form so any character survives."""
    if not filename:
        return "inline"
    return f"inline; filename*=UTF-8''{quote(filename, safe='')}"
