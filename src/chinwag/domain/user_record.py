"""What a User's API record shows, apart from its `url` and `links`.

Those fields depend only on the user's row, so they are rendered once, when the row is written,
and stored beside it (`users.record_json`): a list page then reads one text column per user and
appends the URLs, which depend on the request's host and URL form. Rendering 50 users per page
from their columns (ten values each, a dataclass, a dict, JSON) cost about 80 µs of a list
request's ~260 (bench: list-users); the stored text costs a tenth of that.

`RECORD_VERSION` names this shape. Change the fields here and bump it: rows stored under another
version are rendered from their columns again (storage/repos/users.py) until they are next written,
so a stale shape is never served. tests/test_users.py pins the shape to the version.
"""

from __future__ import annotations

from typing import Any

import orjson

from chinwag.domain.models import User

RECORD_VERSION = 1


def record_fields(user: User) -> dict[str, Any]:
    return {
        "sid": user.sid,
        "account_sid": user.account_sid,
        "chat_service_sid": user.chat_service_sid,
        "role_sid": user.role_sid,
        "identity": user.identity,
        "friendly_name": user.friendly_name,
        "attributes": user.attributes,
        # No realtime layer: never online, no push bindings (decisions.md #13).
        "is_online": None,
        "is_notifiable": None,
        "date_created": user.date_created,
        "date_updated": user.date_updated,
    }


def record_json(user: User) -> str:
    """`record_fields` as a JSON object left open (no closing brace): the URLs follow."""
    return orjson.dumps(record_fields(user))[:-1].decode()
