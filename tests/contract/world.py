"""Real resources for path parameters, so the gate reaches success responses, not only 404s.

Random SIDs exercise the not-found paths; to validate success bodies the gate also needs SIDs that
exist. `World.resolve(path, method)` fills each `{Param}` of a spec path, left to right, with a
resource of the account: the first record of the parent collection (`GET` of the path up to that
parameter), created with a recipe when the collection is empty. The last parameter of a `DELETE`
is always a fresh resource, so the shared ones survive. `ChatServiceSid` is a non-default service.

Generic by construction: a new route is resolved through its parent collection with no edit here.
Only creating a resource needs a recipe (RECIPES, keyed by the collection's last segment); a
collection without one is tried with an empty body.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx

_PARAM = re.compile(r"^\{([^}]+)\}$")
_ids = itertools.count()


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}-{next(_ids)}"


Recipe = Callable[[], dict[str, Any]]

RECIPES: dict[str, Recipe] = {
    "Services": lambda: {"FriendlyName": _unique("contract service")},
    "Roles": lambda: {"FriendlyName": _unique("role"), "Type": "service", "Permission": ["addParticipant"]},
    "Users": lambda: {"Identity": _unique("contract-user"), "FriendlyName": "Contract User"},
    "Conversations": lambda: {"FriendlyName": _unique("contract conversation")},
    "Participants": lambda: {"Identity": _unique("contract-participant")},
    "Messages": lambda: {"Body": "hello from the contract gate", "Author": "contract"},
    # A conversation holds at most 5 webhooks: World._make_room clears space before each create.
    "Webhooks": lambda: {
        "Target": "webhook",
        "Configuration.Url": "https://hooks.example/contract",
        "Configuration.Method": "post",
        "Configuration.Filters": ["onMessageAdded"],
    },
    "ConversationWithParticipants": lambda: {
        "FriendlyName": _unique("contract conversation"),
        "Participant": [json.dumps({"identity": _unique("contract-member")})],
    },
}


# Updates (POST on an item) are sent empty unless the item's collection is named here.
UPDATE_RECIPES: dict[str, Recipe] = {
    # Required on update, and replaces the set; addParticipant is valid for both role types.
    "Roles": lambda: {"Permission": ["addParticipant"]},
}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class ResolveError(Exception):
    pass


class World:
    def __init__(self, http: httpx.Client, account_sid: str) -> None:
        self.http = http
        self.account_sid = account_sid
        self._first: dict[tuple[str, str], str] = {}
        self._service: str | None = None

    # -- public -------------------------------------------------------------------------------

    def resolve(self, path: str, method: str) -> dict[str, str]:
        """Values for every path parameter of `path` (a spec template) naming real resources."""
        segments = path.split("/")
        values: dict[str, str] = {}
        concrete: list[str] = []
        params = [i for i, seg in enumerate(segments) if _PARAM.match(seg)]
        for i, seg in enumerate(segments):
            match = _PARAM.match(seg)
            if match is None:
                concrete.append(seg)
                continue
            name = match.group(1)
            fresh = method == "DELETE" and i == params[-1]
            value = self._value(name, "/".join(concrete), fresh)
            values[name] = value
            concrete.append(value)
        return values

    def body(self, path: str, method: str) -> dict[str, Any] | None:
        """A valid form body for `method path` (a spec template): create recipe, update recipe or empty."""
        if method != "POST":
            return None
        segments = path.split("/")
        is_update = _PARAM.match(segments[-1]) is not None
        recipe = UPDATE_RECIPES.get(segments[-2]) if is_update else RECIPES.get(segments[-1])
        return recipe() if recipe else {}

    def query(self, url: str) -> dict[str, str]:
        """Query parameters a list needs (`url` concrete): ParticipantConversations needs an Identity."""
        if url.endswith("/ParticipantConversations"):
            return {"Identity": self.participant_identity(url.rsplit("/", 1)[0])}
        return {}

    def participant_identity(self, prefix: str) -> str:
        """The identity of a chat participant in a conversation of the service at `prefix`."""
        key = (prefix, "participant_identity")
        if key not in self._first:
            conversation = self._create(prefix + "/Conversations", "sid")
            identity = _unique("contract-member")
            joined = self.http.post(f"{prefix}/Conversations/{conversation}/Participants", data={"Identity": identity})
            if joined.status_code != 201:
                raise ResolveError(f"adding {identity} to {conversation}: {joined.status_code} {joined.text[:300]}")
            self._first[key] = identity
        return self._first[key]

    # -- internals ----------------------------------------------------------------------------

    def _value(self, name: str, collection: str, fresh: bool) -> str:
        if name == "ChatServiceSid" and not fresh:
            if self._service is None:
                self._service = self._create("/v1/Services", "sid")
            return self._service
        field = snake(name)
        if fresh:
            return self._create(collection, field)
        key = (collection, field)
        if key not in self._first:
            self._first[key] = self._pick(collection, field) or self._create(collection, field)
        return self._first[key]

    def _pick(self, collection: str, field: str) -> str | None:
        response = self.http.get(collection, params={"PageSize": 1})
        if response.status_code != 200:
            raise ResolveError(f"GET {collection}: {response.status_code} {response.text[:300]}")
        body = response.json()
        records = body.get(body.get("meta", {}).get("key", ""), [])
        return _field(records[0], field) if records else None

    def _create(self, collection: str, field: str) -> str:
        last = collection.rsplit("/", 1)[-1]
        parent = collection.rsplit("/", 1)[0]
        if last == "Conversations" and re.search(r"/Users/[^/]+$", parent):
            return self._join(parent)
        if last == "Webhooks":
            self._make_room(collection)
        recipe = RECIPES.get(last)
        response = self.http.post(collection, data=recipe() if recipe else {})
        if response.status_code not in (200, 201):
            raise ResolveError(f"POST {collection}: {response.status_code} {response.text[:300]}")
        return _field(response.json(), field)

    def _make_room(self, collection: str) -> None:
        """A conversation holds at most 5 webhooks, and every DELETE example makes one: remove all
        but the one handed out as the shared `{Sid}`."""
        keep = self._first.get((collection, "sid"))
        listed = self.http.get(collection, params={"PageSize": 50})
        if listed.status_code != 200:
            raise ResolveError(f"GET {collection}: {listed.status_code} {listed.text[:300]}")
        for record in listed.json().get("webhooks", []):
            if record["sid"] != keep:
                self.http.delete(f"{collection}/{record['sid']}")

    def _join(self, user_path: str) -> str:
        """A UserConversation has no create: add the user to a new conversation as a participant."""
        user = self.http.get(user_path)
        if user.status_code != 200:
            raise ResolveError(f"GET {user_path}: {user.status_code} {user.text[:300]}")
        prefix = user_path.rsplit("/Users/", 1)[0]
        conversation = self._create(prefix + "/Conversations", "sid")
        joined = self.http.post(
            f"{prefix}/Conversations/{conversation}/Participants", data={"Identity": user.json()["identity"]}
        )
        if joined.status_code != 201:
            raise ResolveError(f"adding the user to {conversation}: {joined.status_code} {joined.text[:300]}")
        return conversation


def _field(record: dict[str, Any], field: str) -> str:
    value = record.get(field, record.get("sid"))
    if not isinstance(value, str):
        raise ResolveError(f"no {field} or sid in {record!r}")
    return value
