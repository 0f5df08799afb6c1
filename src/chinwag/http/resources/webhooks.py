"""Webhook configuration: `/v1/Configuration/Webhooks` (account), `/v1/Services/{IS}/Configuration/Webhooks`
(service), and `/v1/Conversations/{CH}/Webhooks[/{Sid}]` (conversation-scoped, both URL forms)."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from chinwag.domain import conversations, webhooks
from chinwag.domain.webhook_models import ConversationWebhook, WebhookConfig
from chinwag.domain.webhooks import ConfigInput, WebhookInput
from chinwag.http.context import Ctx, endpoint
from chinwag.http.forms import Params
from chinwag.http.listing import Listing, read_list
from chinwag.http.render import json_response, no_content
from chinwag.http.routing import both, by_method
from chinwag.storage.db import Tx

# --- account and service configuration ----------------------------------------------------------


def account_config_wire(cfg: WebhookConfig, base: str) -> dict[str, Any]:
    return {
        "account_sid": cfg.account_sid,
        "method": cfg.method,
        "filters": list(cfg.filters),
        "pre_webhook_url": cfg.pre_webhook_url,
        "post_webhook_url": cfg.post_webhook_url,
        "target": cfg.target,
        "url": f"{base}/v1/Configuration/Webhooks",
    }


def service_config_wire(cfg: WebhookConfig, base: str) -> dict[str, Any]:
    return {
        "account_sid": cfg.account_sid,
        "chat_service_sid": cfg.service_sid,
        "pre_webhook_url": cfg.pre_webhook_url,
        "post_webhook_url": cfg.post_webhook_url,
        "filters": list(cfg.filters),
        "method": cfg.method,
        "url": f"{base}/v1/Services/{cfg.service_sid}/Configuration/Webhooks",
    }


def _config_input(form: Params) -> ConfigInput:
    return ConfigInput(
        method=form.get("Method"),
        filters=tuple(form.getlist("Filters")),
        pre_webhook_url=form.get("PreWebhookUrl"),
        post_webhook_url=form.get("PostWebhookUrl"),
        target=form.get("Target"),
    )


@endpoint
async def fetch_account(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        cfg = await webhooks.fetch_config(tx, ctx.account_sid, None)
    return json_response(account_config_wire(cfg, ctx.base))


@endpoint
async def update_account(ctx: Ctx) -> Response:
    data = _config_input(await ctx.form())
    async with ctx.db.write() as tx:
        cfg = await webhooks.update_config(tx, ctx.account_sid, None, data)
    return json_response(account_config_wire(cfg, ctx.base))


@endpoint
async def fetch_service(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        scope = await ctx.scope(tx)
        cfg = await webhooks.fetch_config(tx, scope.account_sid, scope.service_sid)
    return json_response(service_config_wire(cfg, ctx.base))


@endpoint
async def update_service(ctx: Ctx) -> Response:
    data = _config_input(await ctx.form())
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        # Target is not a service-level parameter (Twilio's spec): ignored like any unknown one.
        cfg = await webhooks.update_config(tx, scope.account_sid, scope.service_sid, data)
    return json_response(service_config_wire(cfg, ctx.base))


# --- conversation-scoped webhooks ---------------------------------------------------------------


def configuration_wire(hook: ConversationWebhook) -> dict[str, Any]:
    """docs/decisions.md #66: the keys that belong to the target, `method` in lower case."""
    body: dict[str, Any] = {}
    if hook.target in ("webhook", "trigger"):
        body = {"url": hook.url, "method": hook.method.lower(), "filters": list(hook.filters)}
        if hook.target == "trigger":
            body["triggers"] = list(hook.triggers)
    else:
        body = {"flow_sid": hook.flow_sid}
        if hook.filters:
            body["filters"] = list(hook.filters)
    if hook.replay_after is not None:
        body["replay_after"] = hook.replay_after
    return body


def to_wire(hook: ConversationWebhook, prefix: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sid": hook.sid,
        "account_sid": hook.account_sid,
        "conversation_sid": hook.conversation_sid,
        "target": hook.target,
        "url": f"{prefix}/Conversations/{hook.conversation_sid}/Webhooks/{hook.sid}",
        "configuration": configuration_wire(hook),
        "date_created": hook.date_created,
        "date_updated": hook.date_updated,
    }
    if "/v1/Services/" in prefix:  # Twilio's service-scoped schema has it, the short-URL one does not
        body["chat_service_sid"] = hook.chat_service_sid
    return body


def _webhook_input(form: Params) -> WebhookInput:
    return WebhookInput(
        target=form.get("Target"),
        url=form.get("Configuration.Url"),
        method=form.get("Configuration.Method"),
        filters=tuple(form.getlist("Configuration.Filters")),
        triggers=tuple(form.getlist("Configuration.Triggers")),
        flow_sid=form.get("Configuration.FlowSid"),
        replay_after=form.get("Configuration.ReplayAfter"),
    )


@endpoint
async def create(ctx: Ctx) -> Response:
    data = _webhook_input(await ctx.form())
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        hook = await webhooks.create(tx, ctx.deps, scope, ctx.param("ConversationSid"), ctx.path, data)
    return json_response(to_wire(hook, ctx.prefix), 201)


@endpoint
async def read(ctx: Ctx) -> Response:
    async def open_list(tx: Tx) -> Listing[ConversationWebhook]:
        conv = await conversations.fetch(tx, await ctx.scope(tx), ctx.param("ConversationSid"), ctx.path)
        return Listing(f"webhooks:{conv.sid}", partial(webhooks.page, tx, conv), lambda h: to_wire(h, ctx.prefix))

    return await read_list(ctx, "webhooks", open_list)


@endpoint
async def fetch(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        scope = await ctx.scope(tx)
        conv = await conversations.fetch(tx, scope, ctx.param("ConversationSid"), ctx.path)
        hook = await webhooks.fetch(tx, conv, ctx.param("Sid"), ctx.path)
    return json_response(to_wire(hook, ctx.prefix))


@endpoint
async def update(ctx: Ctx) -> Response:
    data = _webhook_input(await ctx.form())
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        conv = await conversations.fetch(tx, scope, ctx.param("ConversationSid"), ctx.path)
        hook = await webhooks.update(tx, ctx.deps, conv, ctx.param("Sid"), ctx.path, data)
    return json_response(to_wire(hook, ctx.prefix))


@endpoint
async def delete(ctx: Ctx) -> Response:
    async with ctx.db.write() as tx:
        scope = await ctx.scope(tx)
        conv = await conversations.fetch(tx, scope, ctx.param("ConversationSid"), ctx.path)
        await webhooks.delete(tx, conv, ctx.param("Sid"), ctx.path)
    return no_content()


def routes() -> list[Route]:
    return [
        Route(
            "/v1/Configuration/Webhooks",
            by_method(GET=fetch_account, POST=update_account),
            methods=["GET", "POST"],
        ),
        Route(
            "/v1/Services/{ChatServiceSid}/Configuration/Webhooks",
            by_method(GET=fetch_service, POST=update_service),
            methods=["GET", "POST"],
        ),
        *both("/Conversations/{ConversationSid}/Webhooks", by_method(GET=read, POST=create), ["GET", "POST"]),
        *both(
            "/Conversations/{ConversationSid}/Webhooks/{Sid}",
            by_method(GET=fetch, POST=update, DELETE=delete),
            ["GET", "POST", "DELETE"],
        ),
    ]
