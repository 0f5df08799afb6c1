"""`/v1/Credentials[/{Sid}]` (account-wide). Certificates, keys and secrets are never rendered."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from chinwag.domain import credentials
from chinwag.domain.credentials import CredentialInput
from chinwag.domain.models import Credential
from chinwag.http.context import Ctx, endpoint
from chinwag.http.forms import Params
from chinwag.http.listing import Listing, read_list
from chinwag.http.render import json_response, no_content
from chinwag.http.routing import by_method
from chinwag.storage.db import Tx

PATH = "/v1/Credentials"


def to_wire(c: Credential, base: str) -> dict[str, Any]:
    return {
        "sid": c.sid,
        "account_sid": c.account_sid,
        "friendly_name": c.friendly_name,
        "type": c.type,
        # A string in Twilio's schema and example ("False"); null when never set (docs/decisions.md #112).
        "sandbox": None if c.sandbox is None else str(c.sandbox),
        "date_created": c.date_created,
        "date_updated": c.date_updated,
        "url": f"{base}{PATH}/{c.sid}",
    }


def _input(form: Params) -> CredentialInput:
    return CredentialInput(
        type=form.get("Type"),
        friendly_name=form.get("FriendlyName"),
        certificate=form.get("Certificate"),
        private_key=form.get("PrivateKey"),
        sandbox=form.get("Sandbox"),
        api_key=form.get("ApiKey"),
        secret=form.get("Secret"),
    )


@endpoint
async def create(ctx: Ctx) -> Response:
    data = _input(await ctx.form())
    async with ctx.db.write() as tx:
        made = await credentials.create(tx, ctx.deps, ctx.account_sid, data)
    return json_response(to_wire(made, ctx.base), 201)


@endpoint
async def read(ctx: Ctx) -> Response:
    async def open_list(tx: Tx) -> Listing[Credential]:
        return Listing("credentials", partial(credentials.page, tx, ctx.account_sid), lambda c: to_wire(c, ctx.base))

    return await read_list(ctx, "credentials", open_list)


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        found = await credentials.fetch(tx, ctx.account_sid, ctx.param("Sid"), ctx.path)
    return json_response(to_wire(found, ctx.base))


@endpoint
async def update(ctx: Ctx) -> Response:
    data = _input(await ctx.form())
    async with ctx.db.write() as tx:
        changed = await credentials.update(tx, ctx.deps, ctx.account_sid, ctx.param("Sid"), ctx.path, data)
    return json_response(to_wire(changed, ctx.base))


@endpoint
async def delete(ctx: Ctx) -> Response:
    async with ctx.db.write() as tx:
        await credentials.delete(tx, ctx.account_sid, ctx.param("Sid"), ctx.path)
    return no_content()


def routes() -> list[Route]:
    return [
        Route(PATH, by_method(GET=read, POST=create), methods=["GET", "POST"]),
        Route(PATH + "/{Sid}", by_method(GET=fetch, POST=update, DELETE=delete), methods=["GET", "POST", "DELETE"]),
    ]
