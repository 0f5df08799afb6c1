"""`/v1/Configuration` (account) and `/v1/Services/{ChatServiceSid}/Configuration` (per service)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from chinwag.domain import configuration
from chinwag.domain.models import AccountConfig, ServiceConfig
from chinwag.http.context import Ctx, endpoint
from chinwag.http.render import json_response
from chinwag.http.routing import by_method


def account_wire(cfg: AccountConfig, base: str) -> dict[str, Any]:
    return {
        "account_sid": cfg.account_sid,
        "default_chat_service_sid": cfg.default_chat_service_sid,
        "default_messaging_service_sid": cfg.default_messaging_service_sid,
        "default_inactive_timer": cfg.default_inactive_timer,
        "default_closed_timer": cfg.default_closed_timer,
        "url": f"{base}/v1/Configuration",
        "links": {
            "service": f"{base}/v1/Services/{cfg.default_chat_service_sid}/Configuration",
            "webhooks": f"{base}/v1/Configuration/Webhooks",
        },
    }


def service_wire(cfg: ServiceConfig, base: str) -> dict[str, Any]:
    url = f"{base}/v1/Services/{cfg.chat_service_sid}/Configuration"
    return {
        "chat_service_sid": cfg.chat_service_sid,
        "default_conversation_creator_role_sid": cfg.default_conversation_creator_role_sid,
        "default_conversation_role_sid": cfg.default_conversation_role_sid,
        "default_chat_service_role_sid": cfg.default_chat_service_role_sid,
        "url": url,
        "links": {"notifications": f"{url}/Notifications", "webhooks": f"{url}/Webhooks"},
        "reachability_enabled": cfg.reachability_enabled,
    }


@endpoint
async def fetch_account(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        cfg = await configuration.fetch_account(tx, ctx.account_sid)
    return json_response(account_wire(cfg, ctx.base))


@endpoint
async def update_account(ctx: Ctx) -> Response:
    form = await ctx.form()
    async with ctx.db.write() as tx:
        cfg = await configuration.update_account(
            tx,
            ctx.account_sid,
            default_chat_service_sid=form.get("DefaultChatServiceSid"),
            default_messaging_service_sid=form.get("DefaultMessagingServiceSid"),
            default_inactive_timer=form.get("DefaultInactiveTimer"),
            default_closed_timer=form.get("DefaultClosedTimer"),
        )
    return json_response(account_wire(cfg, ctx.base))


@endpoint
async def fetch_service(ctx: Ctx) -> Response:
    async with ctx.db.read() as tx:
        cfg = await configuration.fetch_service(tx, await ctx.scope(tx))
    return json_response(service_wire(cfg, ctx.base))


@endpoint
async def update_service(ctx: Ctx) -> Response:
    form = await ctx.form()
    async with ctx.db.write() as tx:
        cfg = await configuration.update_service(
            tx,
            await ctx.scope(tx),
            creator_role_sid=form.get("DefaultConversationCreatorRoleSid"),
            conversation_role_sid=form.get("DefaultConversationRoleSid"),
            chat_service_role_sid=form.get("DefaultChatServiceRoleSid"),
            reachability_enabled=form.get("ReachabilityEnabled"),
        )
    return json_response(service_wire(cfg, ctx.base))


def routes() -> list[Route]:
    return [
        Route("/v1/Configuration", by_method(GET=fetch_account, POST=update_account), methods=["GET", "POST"]),
        Route(
            "/v1/Services/{ChatServiceSid}/Configuration",
            by_method(GET=fetch_service, POST=update_service),
            methods=["GET", "POST"],
        ),
    ]
