"""The composition root: builds the database, the domain's dependencies and the routes."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chinwag import logs, media, simulated_sms
from chinwag.config import Settings, load_settings
from chinwag.core.clock import Clock, OffsetClock
from chinwag.core.sids import SidFactory
from chinwag.domain.deps import Deps
from chinwag.emulator import Emulator
from chinwag.events import Events, wake
from chinwag.http.auth import Authenticator
from chinwag.http.context import AppState
from chinwag.http.openapi import routes as openapi_routes
from chinwag.http.render import json_response
from chinwag.http.resources import (
    address_configurations,
    bindings,
    configuration,
    conversation_with_participants,
    conversations,
    credentials,
    keys,
    messages,
    notifications,
    participant_conversations,
    participants,
    receipts,
    roles,
    services,
    user_conversations,
    users,
    webhook_deliveries,
)
from chinwag.http.resources import webhooks as webhook_resources
from chinwag.http.router import App
from chinwag.realtime import PATH as REALTIME_PATH
from chinwag.realtime import Realtime
from chinwag.storage.db import open_database
from chinwag.storage.faults import monitor
from chinwag.timer_task import TimerTask

# How often the realtime hub reads the event log when nothing woke it: what another process
# committed on SQLite reaches this one's sockets within it; PostgreSQL's NOTIFY wakes every
# process, so there the poll only catches a lost notification (docs/decisions.md #125).
REALTIME_POLL = {"sqlite": 0.25, "postgresql": 1.0}


async def health(_: Request) -> Response:
    """200 while the process serves; `status` is `degraded` (naming the database fault) while
    writes fail, until one commits again (docs/decisions.md #50)."""
    return json_response(monitor.health())


def create_app(settings: Settings | None = None, *, clock: Clock | None = None, sids: SidFactory | None = None) -> App:
    settings = settings or load_settings()
    logs.configure(settings.log_level)
    db = open_database(settings.database_url, settings.listen_database_url)
    server_clock = clock or OffsetClock(settings.clock_offset)
    deps = Deps(server_clock, sids or SidFactory(settings.sid_seed))
    # Under `chinwag serve` a delivery process of its own delivers; a worker only wakes it.
    poke = wake.Poker(wake.path_for(os.getppid())).poke if settings.webhook_process else None
    events = Events.for_settings(db, deps, settings, wake=poke)
    realtime = Realtime(db, deps, events, public_url=settings.public_url, poll=REALTIME_POLL[db.engine])
    timer_task = TimerTask(db, deps, settings.timer_interval, events, per_account_clocks=settings.emulator)
    emulator = Emulator(db, deps, timer_task) if settings.emulator else None
    state = AppState(
        db=db,
        deps=deps,
        auth=Authenticator(db, settings.auth_cache_seconds),
        public_url=settings.public_url,
        body_timeout=settings.body_timeout,
        events=events,
        emulator=emulator,
    )

    @asynccontextmanager
    async def lifespan(_: App) -> AsyncIterator[None]:
        await db.start()
        await state.auth.start()
        timer_task.start()
        if settings.webhook_dispatch:
            events.start()
        await realtime.start()
        try:
            yield
        finally:
            await realtime.stop()
            await events.stop()
            await timer_task.stop()
            if emulator is not None:
                await emulator.close()
            await state.auth.stop()
            await db.close()

    routes = [
        Route("/health", health, methods=["GET"]),
        *openapi_routes(),
        *configuration.routes(),
        *services.routes(),
        *roles.routes(),
        *users.routes(),
        *conversations.routes(),
        *participants.routes(),
        *messages.routes(),
        *user_conversations.routes(),
        *participant_conversations.routes(),
        *webhook_deliveries.routes(),
        *webhook_resources.routes(),
        *keys.routes(),
        *conversation_with_participants.routes(),
        *receipts.routes(),
        *address_configurations.routes(),
        *credentials.routes(),
        *notifications.routes(),
        *bindings.routes(),
        *media.routes(settings.media_max_bytes),  # the Media Content Service, /_chinwag/mcs/v1/
    ]
    if emulator is not None:  # outside emulator mode /_chinwag/v1/… does not exist (404)
        routes += emulator.routes()
        routes += simulated_sms.routes()
    if settings.console:  # emulator mode or `--console`; otherwise its paths are 404s
        from chinwag import console

        routes += console.routes()
    app = App(routes, lifespan, access_log=settings.access_log)
    app.state.chinwag = state
    app.realtime = realtime
    app.realtime_path = REALTIME_PATH
    return app
