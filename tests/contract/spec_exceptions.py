"""THE reviewed list of places where Twilio's spec is wrong about Twilio, and how the gate corrects them.

The wire conformance gate (tests/contract/) validates chinwag against Twilio's OpenAPI spec. The spec
is generated and sometimes wrong (nullable/required mismatches, fields Twilio does not send). Each
correction lives here, with the reason and its evidence; the gate applies these and nothing else:
there is no other way to skip or loosen a check. A stale entry (naming a schema, property or
operation the spec no longer has) fails the gate, so this list cannot rot.

Change this file only in review, and only with evidence from Twilio's docs, SDKs or observed
responses (cite it in `reason`), never because chinwag happens to differ.

Kinds of correction:
- `nullable`: the property may be null although the spec says it may not.
- `not_nullable` is not offered: tightening needs no exception, only a test.
- `optional`: Twilio omits the property in some responses; the gate accepts its absence.
- `extra`: Twilio sends a property the schema lacks; the gate accepts (and type-checks) it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["nullable", "optional", "extra"]


@dataclass(frozen=True)
class SpecException:
    schema: str  # a components/schemas name, e.g. "conversations.v1.user"
    prop: str  # the property of that schema
    kind: Kind
    reason: str
    extra_schema: dict[str, Any] | None = None  # for `extra`: the property's JSON schema


EXCEPTIONS: list[SpecException] = []
