"""Hints: a 4xx explained in plain words, from what the account does have (docs/decisions.md #82).

Only computed in emulator mode, only for a 4xx; the look-ups are scans a production server would
not afford, bounded by HINT_SCAN rows. The hint is journaled and appended to the error's message.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from chinwag.contract.spec import load_spec, template_key
from chinwag.core.errors import TwilioError
from chinwag.core.sids import SidPrefix, looks_like
from chinwag.http.context import Ctx
from chinwag.storage.db import Tx
from chinwag.storage.repos import accounts as account_repo

HINT_SCAN = 10_000  # rows read at most to find a near miss


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def closest(word: str, candidates: list[str]) -> str | None:
    """The candidate nearest to `word` if near enough to be a slip (case ignored first)."""
    folded = [c for c in candidates if c.lower() == word.lower() and c != word]
    if folded:
        return folded[0]
    limit = max(2, len(word) // 3)
    best: tuple[int, str] | None = None
    for candidate in candidates:
        if abs(len(candidate) - len(word)) > limit or candidate == word:
            continue  # cannot be near enough: skip the quadratic comparison
        distance = edit_distance(word.lower(), candidate.lower())
        if best is None or (distance, candidate) < best:
            best = (distance, candidate)
    if best is None or best[0] > limit:
        return None
    return best[1]


@cache
def _accepted() -> dict[tuple[str, str], frozenset[str]]:
    """(template key, METHOD) → every parameter name the operation takes (query and form)."""
    table: dict[tuple[str, str], frozenset[str]] = {}
    for path, item in load_spec()["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or method.upper() not in ("GET", "POST", "DELETE"):
                continue
            names = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
            form = op.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded", {})
            names |= set(form.get("schema", {}).get("properties", {}))
            table[(template_key(path), method.upper())] = frozenset(names)
    return table


def unknown_parameter(template: str, method: str, sent: list[str]) -> str | None:
    accepted = _accepted().get((template_key(template), "GET" if method == "HEAD" else method))
    if accepted is None:
        return None
    for name in sent:
        if name in accepted:
            continue
        guess = closest(name, sorted(accepted))
        if guess is not None:
            return f"parameter '{name}' is not recognised; did you mean '{guess}'?"
        return f"parameter '{name}' is not recognised by this operation"
    return None


async def explain(ctx: Ctx, error: TwilioError, template: str | None) -> str | None:
    """A 404 naming a user or conversation is explained by what exists; otherwise (or failing
    that) a parameter the operation does not take."""
    if template is None:
        return None
    if error.status == 404:
        hint = await _missing(ctx, template)
        if hint is not None:
            return hint
    return unknown_parameter(template, ctx.request.method, [k for k, _ in sent_pairs(ctx)])


async def _missing(ctx: Ctx, template: str) -> str | None:
    params = ctx.request.path_params
    async with ctx.db.read() as tx:
        service = ctx.service_sid or await account_repo.default_service_sid(tx, ctx.account_sid)
        if service is None:
            return None
        where = "the default service" if ctx.service_sid is None else f"service {service}"
        if "/Users/{UserSid}/Conversations/{ConversationSid}" in template:
            return await _membership(tx, service, params["UserSid"], params["ConversationSid"], where, ctx)
        if "/Users/{Sid}" in template or "/Users/{UserSid}" in template:
            return await _user(tx, ctx.account_sid, service, params.get("Sid") or params["UserSid"], where)
        if "/Conversations/{Sid}" in template or "/Conversations/{ConversationSid}" in template:
            ref = params.get("Sid") if template.endswith("/Conversations/{Sid}") else params.get("ConversationSid")
            if ref is not None:
                return await _conversation(tx, ctx.account_sid, service, ref, where)
    return None


def sent_pairs(ctx: Ctx) -> list[tuple[str, str]]:
    pairs = ctx.query().pairs()
    if ctx.form_params is not None:
        pairs += ctx.form_params.pairs()
    return pairs


async def _user_in(tx: Tx, service: str, ref: str) -> Any:
    column = "sid" if looks_like(ref, SidPrefix.USER) else "identity"
    return await tx.one(f"SELECT sid, identity FROM users WHERE chat_service_sid = ? AND {column} = ?", service, ref)


async def _user(tx: Tx, account_sid: str, service: str, ref: str, where: str) -> str | None:
    if await _user_in(tx, service, ref) is not None:
        return None  # the user is there: the miss is something else
    column = "sid" if looks_like(ref, SidPrefix.USER) else "identity"
    elsewhere = await tx.one(
        f"SELECT chat_service_sid, identity FROM users"
        f" WHERE account_sid = ? AND {column} = ? AND chat_service_sid <> ?",
        account_sid,
        ref,
        service,
    )
    if elsewhere is not None:
        return (
            f"user '{elsewhere['identity']}' exists in service {elsewhere['chat_service_sid']}"
            f" but this request used {where}"
        )
    rows = await tx.values(
        "SELECT identity FROM users WHERE chat_service_sid = ? ORDER BY id LIMIT ?", service, HINT_SCAN
    )
    guess = closest(ref, [r[0] for r in rows])
    if guess is not None:
        return f"no user '{ref}' in {where}; '{guess}' exists"
    return f"no user '{ref}' in {where}"


async def _conversation(tx: Tx, account_sid: str, service: str, ref: str, where: str) -> str | None:
    column = "sid" if looks_like(ref, SidPrefix.CONVERSATION) else "unique_name"
    here = await tx.one(f"SELECT sid FROM conversations WHERE chat_service_sid = ? AND {column} = ?", service, ref)
    if here is not None:
        return None
    elsewhere = await tx.one(
        f"SELECT chat_service_sid FROM conversations WHERE account_sid = ? AND {column} = ?", account_sid, ref
    )
    if elsewhere is not None:
        return f"conversation '{ref}' exists in service {elsewhere['chat_service_sid']} but this request used {where}"
    if column == "unique_name":
        rows = await tx.values(
            "SELECT unique_name FROM conversations WHERE chat_service_sid = ? AND unique_name IS NOT NULL"
            " ORDER BY id LIMIT ?",
            service,
            HINT_SCAN,
        )
        guess = closest(ref, [r[0] for r in rows])
        if guess is not None:
            return f"no conversation '{ref}' in {where}; '{guess}' exists"
    return f"no conversation '{ref}' in {where}"


async def _membership(tx: Tx, service: str, user_ref: str, conv_ref: str, where: str, ctx: Ctx) -> str | None:
    user = await _user_in(tx, service, user_ref)
    if user is None:
        return await _user(tx, ctx.account_sid, service, user_ref, where)
    column = "sid" if looks_like(conv_ref, SidPrefix.CONVERSATION) else "unique_name"
    conv = await tx.one(f"SELECT sid FROM conversations WHERE chat_service_sid = ? AND {column} = ?", service, conv_ref)
    if conv is None:
        return await _conversation(tx, ctx.account_sid, service, conv_ref, where)
    member = await tx.one(
        "SELECT 1 FROM participants WHERE conversation_sid = ? AND user_sid = ?", conv["sid"], user["sid"]
    )
    if member is None:
        return f"conversation {conv['sid']} exists but {user['identity']} is not a participant"
    return None
