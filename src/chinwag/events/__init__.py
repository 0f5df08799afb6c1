"""Webhooks: events out of chinwag, the one entry point (`Events`) for the rest of the server.

How data flows (docs/ARCHITECTURE.md, "Webhooks"):

1. A request handler asks `origin(headers)` who acts: nobody (plain REST, nothing fires), the API
   (`X-Twilio-Webhook-Enabled: true`: post-events), or a chat client (`X-Chinwag-Client-Identity`:
   pre- and post-events).
2. Pre-events (client actions only): `plan_pre` in a read transaction resolves the hooks, then
   `run_pre` calls them with no transaction open; they may veto (403/50056) or modify the input.
3. The handler opens its write transaction, makes the change and calls `emit`, which writes one
   outbox row per firing post-event target in that same transaction (storage/repos/outbox.py).
4. After commit the dispatcher is woken (PostgreSQL NOTIFY; on SQLite a callback after the batch
   commit) and delivers the rows, signed, in order per conversation and receiver, retrying with
   backoff (events/dispatcher.py, events/sender.py). Under `chinwag serve` it runs in a delivery
   process of its own beside the workers (events/delivery_process.py, woken through wake.py);
   an app built without the CLI runs it in-process.
5. `GET /_chinwag/v1/WebhookDeliveries` reads the outbox back, and replays a delivery, through
   events/deliveries.py (for http/resources/webhook_deliveries.py and the console).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from chinwag.config import Settings
from chinwag.core.clock import iso
from chinwag.domain.deps import Deps
from chinwag.events import emit as emitter
from chinwag.events import origin as origins
from chinwag.events import payloads, prehooks
from chinwag.events.dispatcher import COALESCE, Dispatcher, RetryPolicy
from chinwag.events.origin import API, Origin
from chinwag.events.prehooks import Plan
from chinwag.events.sender import Sender
from chinwag.events.ssrf import Guard, Network, parse_networks
from chinwag.storage.db import Database, SqliteDatabase, Tx

__all__ = ["API", "Build", "Events", "Origin", "Params", "Plan", "payloads"]

Params = list[tuple[str, str]]
# Read in the pre-event's read transaction: (service SID, conversation SID or None, params, body).
Build = Callable[[Tx], Awaitable[tuple[str, str | None, Params, str | None]]]


class Events:
    def __init__(
        self,
        db: Database,
        deps: Deps,
        *,
        allow: tuple[Network, ...] = (),
        emulator: bool = False,
        poll: float = 1.0,
        policy: RetryPolicy | None = None,
        wake: Callable[[], None] | None = None,
        coalesce: float = COALESCE,
    ) -> None:
        """`wake`: how a commit that wrote deliveries wakes the dispatcher on SQLite when it runs
        in another process (events/delivery_process.py); default this process's own."""
        self._db = db
        self._deps = deps
        self.sender = Sender(Guard(allow, emulator))
        self.dispatcher = Dispatcher(db, self.sender, deps.clock.now, poll=poll, policy=policy, coalesce=coalesce)
        self._wake = wake or self.dispatcher.wake

    @classmethod
    def for_settings(
        cls,
        db: Database,
        deps: Deps,
        settings: Settings,
        *,
        wake: Callable[[], None] | None = None,
        coalesce: float = COALESCE,
    ) -> Events:
        """As the server's settings say (allowed networks, emulator mode, poll interval): for the
        app's workers (app.py) and the delivery process (delivery_process.py) alike."""
        allow = parse_networks(settings.webhook_allow)
        poll = settings.webhook_poll
        return cls(db, deps, allow=allow, emulator=settings.emulator, poll=poll, wake=wake, coalesce=coalesce)

    def start(self) -> None:
        self.dispatcher.start()

    async def stop(self) -> None:
        await self.dispatcher.stop()
        await self.sender.close()

    @staticmethod
    def origin(headers: Mapping[str, str]) -> Origin | None:
        return origins.of_headers(headers)

    async def emit(
        self,
        tx: Tx,
        origin: Origin | None,
        event_type: str,
        params: list[tuple[str, str]],
        *,
        account_sid: str,
        service_sid: str,
        conversation_sid: str | None,
        lane_key: str | None = None,
        body: str | None = None,
    ) -> None:
        """Inside the change's write transaction: the post-event's outbox rows, if it fires."""
        if origin is None:
            return
        now = self._deps.clock.now()
        written = await emitter.emit(
            tx,
            origin,
            account_sid=account_sid,
            service_sid=service_sid,
            conversation_sid=conversation_sid,
            event_type=event_type,
            params=params,
            now=now,
            date=iso(now),
            lane_key=lane_key,
            body=body,
        )
        if written:
            self.after_commit_wake()

    def after_commit_wake(self) -> None:
        """Inside a write transaction that added deliveries: wake the dispatcher once it commits
        (SQLite; on PostgreSQL the transaction's NOTIFY does, in every process)."""
        if isinstance(self._db, SqliteDatabase):
            self._db.after_commit(self._wake)

    async def pre_event(self, origin: Origin, event_type: str, account_sid: str, build: Build) -> dict[str, str | None]:
        """A client action's pre-event hooks: `build` reads what they need (and checks the client
        may act) in a read transaction, which also resolves the hooks; they are then called with
        no transaction open. Their modifications; TwilioError on a veto. For REST's client
        identities (http/hooks.py) and the realtime socket (realtime/aim_writes.py) alike."""
        async with self._db.read() as tx:
            service_sid, conversation_sid, params, body = await build(tx)
            plan = await self.plan_pre(
                tx,
                origin,
                event_type,
                account_sid=account_sid,
                service_sid=service_sid,
                conversation_sid=conversation_sid,
                body=body,
            )
        return await self.run_pre(plan, params)

    async def plan_pre(
        self,
        tx: Tx,
        origin: Origin | None,
        event_type: str,
        *,
        account_sid: str,
        service_sid: str,
        conversation_sid: str | None,
        body: str | None = None,
    ) -> Plan | None:
        """In a read transaction: the pre-event hooks to call, if any."""
        return await prehooks.plan(tx, origin, account_sid, service_sid, conversation_sid, event_type, body)

    async def run_pre(self, plan: Plan | None, params: list[tuple[str, str]]) -> dict[str, str | None]:
        """With no transaction open: call the hooks; their modifications, or TwilioError (veto)."""
        if plan is None:
            return {}
        return await prehooks.run(self.sender, plan, params, emitter.new_token())
