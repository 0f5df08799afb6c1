"""X-Twilio-Signature: base64(HMAC-SHA1(auth token, URL + each POST parameter name and value, sorted
by name)), as twilio-python's RequestValidator checks it. GET hooks carry their parameters in the
URL, which is then signed alone."""

from __future__ import annotations

import base64
import hashlib
import hmac


def signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    # RequestValidator sorts by name, and the values of a repeated name too; our names are unique.
    message = url + "".join(k + v for k, v in sorted(params))
    digest = hmac.new(auth_token.encode(), message.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
