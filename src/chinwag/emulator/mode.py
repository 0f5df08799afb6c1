"""`Emulator`: what `chinwag serve --emulator` adds to the app (the hooks every API request goes
through in emulator mode, and the control routes under /_chinwag/v1/)."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace

from starlette.routing import Route

from chinwag.core.clock import ShiftedClock
from chinwag.core.errors import TwilioError
from chinwag.domain.deps import Deps
from chinwag.emulator import hints
from chinwag.emulator.journal import Journal, params_json
from chinwag.http.context import Ctx
from chinwag.storage.db import Database
from chinwag.storage.repos import emulator as repo
from chinwag.timer_task import TimerTask

log = logging.getLogger("chinwag.emulator")


class Emulator:
    def __init__(self, db: Database, deps: Deps, timer_task: TimerTask) -> None:
        self.db = db
        self.deps = deps  # the server's clock and SID factory
        self.timer_task = timer_task
        self.journal = Journal(db)

    def routes(self) -> list[Route]:
        from chinwag.emulator.routes import control_routes

        return control_routes(self)

    async def close(self) -> None:
        await self.journal.close()

    def deps_at(self, offset: float) -> Deps:
        return self.deps if offset == 0 else replace(self.deps, clock=ShiftedClock(self.deps.clock, offset))

    # --- EmulatorHooks (http/context.py) ---

    async def deps_for(self, account_sid: str) -> Deps:
        """The account's own clock (emulator/clock.py): read per request, so every worker agrees."""
        async with self.db.read() as tx:
            offset = await repo.clock_offset(tx, account_sid)
        return self.deps_at(offset)

    async def explain(self, ctx: Ctx, error: TwilioError) -> str | None:
        target, _, _ = ctx.request.app.resolve(ctx.request.method, ctx.request.scope["path"])
        if ctx.form_params is None and ctx.request.method in ("POST", "PUT"):
            with contextlib.suppress(Exception):
                await ctx.form()  # the handler failed before reading it: its parameters may explain why
        try:
            return await hints.explain(ctx, error, None if target is None else target.path)
        except Exception:  # a hint is a courtesy: never let it turn a 4xx into a 500
            log.exception("computing a hint failed")
            return None

    def record(self, ctx: Ctx, status: int, error: TwilioError | None, hint: str | None) -> None:
        scope = ctx.request.scope
        raw = scope.get("raw_path") or scope["path"].encode()
        path = raw.decode("latin-1").split("?", 1)[0]
        if path.startswith("/_chinwag/"):
            return  # chinwag's own API (the delivery log) is not an API request of the app
        query = scope.get("query_string", b"").decode("latin-1")
        params = params_json(ctx.form_params.pairs() if ctx.form_params is not None else [])
        message = None
        if error is not None:
            message = error.message.removesuffix(f" (hint: {hint})") if hint else error.message
        self.journal.add(
            (
                ctx.account_sid,
                ctx.request.method,
                path,
                query,
                params,
                status,
                None if error is None else error.code,
                message,
                hint,
                ctx.deps.now(),
            )
        )
