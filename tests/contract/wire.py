"""Twilio's wire shape, checked strictly against the (exception-patched) spec.

Stricter than JSON-schema validation, which lets a missing or an extra key pass:

- a success body has exactly the keys its schema lists (null where there is no value), none more;
- every `date-time` is `YYYY-MM-DDTHH:MM:SSZ` and every `uri` an absolute URL on this server;
- a list has exactly `{<key>: [...], "meta": {...}}` with Twilio's seven `meta` keys;
- a success status is one the spec documents; 204 has an empty body;
- an error is Twilio's `{code, message, more_info, status}` body, as `application/json`.

`wire_problems` returns a list of problems (empty when conformant), so it serves both the
schemathesis check and the plain tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
META_KEYS = {"page", "page_size", "first_page_url", "previous_page_url", "url", "next_page_url", "key"}
ERROR_KEYS = {"code", "message", "more_info", "status"}


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def response_schema(spec: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any] | None:
    responses = spec["paths"][path][method.lower()]["responses"]
    documented = responses.get(str(status))
    if documented is None:
        return None
    schema = documented.get("content", {}).get("application/json", {}).get("schema")
    return resolve(spec, schema) if schema is not None else None


def wire_problems(
    spec: dict[str, Any],
    path: str,
    method: str,
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    base_url: str,
) -> list[str]:
    problems: list[str] = []
    content_type = headers.get("content-type", "")
    if status >= 400:
        return _error_problems(status, content_type, content)
    operation = spec["paths"][path].get(method.lower())
    if operation is None:
        return [f"{method} {path} is not in the spec, yet answered {status}"]
    documented = operation["responses"]
    if str(status) not in documented:
        return [f"success status {status} is not one the spec documents ({', '.join(sorted(documented))})"]
    if status == 204:
        return [f"204 with a body: {content[:200]!r}"] if content else []
    if not content_type.startswith("application/json"):
        problems.append(f"content type {content_type!r}, expected application/json")
    try:
        body = json.loads(content)
    except ValueError:
        return [*problems, f"body is not JSON: {content[:200]!r}"]
    schema = response_schema(spec, path, method, status)
    if schema is None:
        return problems
    problems += _shape(spec, schema, body, "$", base_url)
    return problems


def _error_problems(status: int, content_type: str, content: bytes) -> list[str]:
    if not content_type.startswith("application/json"):
        return [f"error {status} with content type {content_type!r}, expected application/json"]
    try:
        body = json.loads(content)
    except ValueError:
        return [f"error {status} body is not JSON: {content[:200]!r}"]
    if not isinstance(body, dict) or set(body) != ERROR_KEYS:
        return [f"error body is not Twilio's {{code, message, more_info, status}}: {body!r}"]
    problems = []
    if body["status"] != status:
        problems.append(f"error body status {body['status']!r} differs from HTTP status {status}")
    if not isinstance(body["code"], int) or isinstance(body["code"], bool):
        problems.append(f"error code {body['code']!r} is not an integer")
    elif body["more_info"] != f"https://www.twilio.com/docs/errors/{body['code']}":
        problems.append(f"more_info {body['more_info']!r} does not name code {body['code']}")
    if not isinstance(body["message"], str) or not body["message"]:
        problems.append(f"error message {body['message']!r} is not a non-empty string")
    return problems


def _is_list_envelope(schema: dict[str, Any]) -> bool:
    return "meta" in schema.get("properties", {})


def _shape(spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str, base_url: str) -> list[str]:
    schema = resolve(spec, schema)
    if value is None:
        if where == "$":
            return ["body is null"]
        return [] if schema.get("nullable") else [f"{where} is null but the schema does not allow null"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if not isinstance(value, dict):
            return [f"{where} is {type(value).__name__}, expected an object"]
        properties: dict[str, Any] = schema.get("properties", {})
        if schema.get("format") == "uri-map":  # `links`: each an absolute URL on this server
            return [
                f"{where}.{name} = {url!r} is not an absolute URL on this server ({base_url})"
                for name, url in value.items()
                if not (isinstance(url, str) and url.startswith(base_url + "/"))
            ]
        if not properties:
            return []  # free-form (`bindings`, ...)
        problems = []
        if _is_list_envelope(schema):
            problems += _list_problems(value, properties, where, base_url)
        missing = sorted(set(properties) - set(value) - set(schema.get("x-chinwag-optional", ())))
        extra = sorted(set(value) - set(properties))
        if missing:
            problems.append(f"{where} lacks key(s) the schema lists: {missing}")
        if extra:
            problems.append(f"{where} has key(s) the schema lacks: {extra}")
        for key in sorted(set(properties) & set(value)):
            problems += _shape(spec, properties[key], value[key], f"{where}.{key}", base_url)
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where} is {type(value).__name__}, expected an array"]
        items = schema.get("items", {})
        return [p for i, item in enumerate(value) for p in _shape(spec, items, item, f"{where}[{i}]", base_url)]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where} is {type(value).__name__}, expected a string"]
        fmt = schema.get("format")
        if fmt == "date-time" and not DATE_TIME.match(value):
            return [f"{where} = {value!r} is not YYYY-MM-DDTHH:MM:SSZ"]
        if fmt == "uri" and where.endswith(".url") and not value.startswith(base_url + "/"):
            return [f"{where} = {value!r} is not an absolute URL on this server ({base_url})"]
        if fmt == "uri" and not re.match(r"^https?://[^/\s]+", value):
            return [f"{where} = {value!r} is not an absolute URL"]
        return []
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{where} = {value!r} is not an integer"]
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{where} = {value!r} is not a number"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where} = {value!r} is not a boolean"]
    return []


def _list_problems(body: dict[str, Any], properties: dict[str, Any], where: str, base_url: str) -> list[str]:
    meta = body.get("meta")
    if not isinstance(meta, dict):
        return [f"{where}.meta is not an object"]
    problems = []
    if set(meta) != META_KEYS:
        problems.append(f"{where}.meta keys {sorted(meta)} are not Twilio's {sorted(META_KEYS)}")
    keys = set(properties) - {"meta"}
    if meta.get("key") not in keys:
        problems.append(f"{where}.meta.key {meta.get('key')!r} does not name the list ({sorted(keys)})")
    for name in ("first_page_url", "url", "previous_page_url", "next_page_url"):
        url = meta.get(name)
        if url is not None and not (isinstance(url, str) and url.startswith(base_url + "/")):
            problems.append(f"{where}.meta.{name} = {url!r} is not an absolute URL on this server")
    for name in ("page", "page_size"):
        if not isinstance(meta.get(name), int):
            problems.append(f"{where}.meta.{name} = {meta.get(name)!r} is not an integer")
    first = meta.get("first_page_url")
    if isinstance(first, str) and "PageToken=" in first:
        problems.append(f"{where}.meta.first_page_url carries a PageToken: {first}")
    if meta.get("page") == 0 and meta.get("previous_page_url") is not None:
        problems.append(f"{where}.meta.previous_page_url is set on page 0")
    return problems
