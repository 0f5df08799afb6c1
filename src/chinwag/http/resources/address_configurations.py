"""`/v1/Configuration/Addresses[/{Sid}]` (account-wide: Twilio has no service-scoped form)."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from chinwag.domain import address_configurations as configs
from chinwag.domain.address_configurations import AutoCreationInput
from chinwag.domain.models import AddressConfiguration
from chinwag.http.context import Ctx, endpoint
from chinwag.http.forms import Params
from chinwag.http.listing import Listing, read_list
from chinwag.http.render import json_response, no_content
from chinwag.http.routing import by_method
from chinwag.storage.db import Tx

PATH = "/v1/Configuration/Addresses"


def to_wire(a: AddressConfiguration, base: str) -> dict[str, Any]:
    return {
        "sid": a.sid,
        "account_sid": a.account_sid,
        "type": a.type,
        "address": a.address,
        "friendly_name": a.friendly_name,
        "auto_creation": configs.auto_creation_of(a),
        "date_created": a.date_created,
        "date_updated": a.date_updated,
        "url": f"{base}{PATH}/{a.sid}",
        "address_country": a.address_country,
    }


def _auto(form: Params) -> AutoCreationInput:
    filters = form.getlist("AutoCreation.WebhookFilters")
    return AutoCreationInput(
        enabled=form.get("AutoCreation.Enabled"),
        type=form.get("AutoCreation.Type"),
        conversation_service_sid=form.get("AutoCreation.ConversationServiceSid"),
        webhook_url=form.get("AutoCreation.WebhookUrl"),
        webhook_method=form.get("AutoCreation.WebhookMethod"),
        webhook_filters=tuple(filters) if "AutoCreation.WebhookFilters" in form else None,
        studio_flow_sid=form.get("AutoCreation.StudioFlowSid"),
        studio_retry_count=form.get("AutoCreation.StudioRetryCount"),
    )


@endpoint
async def create(ctx: Ctx) -> Response:
    form = await ctx.form()
    async with ctx.db.write() as tx:
        made = await configs.create(
            tx,
            ctx.deps,
            ctx.account_sid,
            form.get("Type"),
            form.get("Address"),
            form.get("FriendlyName"),
            form.get("AddressCountry"),
            _auto(form),
        )
    return json_response(to_wire(made, ctx.base), 201)


@endpoint
async def read(ctx: Ctx) -> Response:
    query = ctx.query()
    type_ = query.get("Type")

    async def open_list(tx: Tx) -> Listing[AddressConfiguration]:
        page = partial(configs.page, tx, ctx.account_sid, type_)
        return Listing(f"addresses:{type_}", page, lambda a: to_wire(a, ctx.base))

    return await read_list(ctx, "address_configurations", open_list, query.encoded("Type"), query)


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        found = await configs.fetch(tx, ctx.account_sid, ctx.param("Sid"), ctx.path)
    return json_response(to_wire(found, ctx.base))


@endpoint
async def update(ctx: Ctx) -> Response:
    form = await ctx.form()
    async with ctx.db.write() as tx:
        changed = await configs.update(
            tx, ctx.deps, ctx.account_sid, ctx.param("Sid"), ctx.path, form.get("FriendlyName"), _auto(form)
        )
    return json_response(to_wire(changed, ctx.base))


@endpoint
async def delete(ctx: Ctx) -> Response:
    async with ctx.db.write() as tx:
        await configs.delete(tx, ctx.account_sid, ctx.param("Sid"), ctx.path)
    return no_content()


def routes() -> list[Route]:
    return [
        Route(PATH, by_method(GET=read, POST=create), methods=["GET", "POST"]),
        Route(PATH + "/{Sid}", by_method(GET=fetch, POST=update, DELETE=delete), methods=["GET", "POST", "DELETE"]),
    ]
