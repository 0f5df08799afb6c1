"""The per-process task that carries post-events from the outbox to their receivers.

A round: lease lanes with due work (short write transaction; PostgreSQL skips lanes another
process holds), then per lane read its pending deliveries in id order and send them one after
another; the first that fails stops the lane (its successors wait, so a receiver sees a
conversation's events in order) and is scheduled again with backoff. The outcomes and the lane's
release are written in one transaction. Lanes are worked concurrently.

Exactly once in normal operation: a lane is leased by one dispatcher at a time, and a delivery is
marked done in the transaction that releases the lease. A process killed mid-lane leaves the
lease to expire (`LEASE`), after which another dispatcher (or the restarted one) sends what was
not marked: at least once across crashes; the idempotency token lets a receiver drop a repeat.

Wake-ups: PostgreSQL `LISTEN chinwag_outbox` (writers `pg_notify` in their transaction, so it
arrives on commit, in every process); SQLite an in-process wake after the writer's batch commits;
and a poll every `poll` seconds, which also picks up retries that fall due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from chinwag.core.clock import iso
from chinwag.core.tasks import woken_or_after
from chinwag.events import fragment
from chinwag.events.sender import Request, Result, Sender
from chinwag.storage.db import Database, PostgresDatabase
from chinwag.storage.faults import report_background_failure
from chinwag.storage.pg_listen import Listener
from chinwag.storage.repos import accounts as account_repo
from chinwag.storage.repos import outbox
from chinwag.storage.repos.outbox import Delivery, Outcome

log = logging.getLogger("chinwag.webhooks")

LEASE = 30.0  # seconds a dispatcher owns a lane; a lane's work is cut off well before (LANE_BUDGET)
LANE_BUDGET = 10.0  # seconds of sending per lane per round, then the lane is released
LANE_BATCH = 200  # deliveries read per lane per round
LANES_AT_ONCE = 64
COALESCE = 0.005  # seconds between a wake-up and the next claim


@dataclass(frozen=True, slots=True)
class Settlement:
    """A lane's round, to be written: its outcomes and how to release it."""

    lane: str
    version: int
    outcomes: list[Outcome]
    drained: bool
    next_at: float


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of connection errors, timeouts, 429 and 5xx (docs/decisions.md #76): `retries` after
    the first attempt, waiting `base` · 2^n seconds (capped at `cap`), ±20 % jitter. The default
    (10 retries, 1 s doubling to 60 s) gives up after about six minutes."""

    retries: int = 10
    base: float = 1.0
    cap: float = 60.0

    def delay(self, attempt: int) -> float:
        wait = min(self.cap, self.base * (2 ** (attempt - 1)))
        return float(wait * random.uniform(0.8, 1.2))


@dataclass(frozen=True, slots=True)
class Retention:
    """How long settled deliveries stay visible in the delivery log (docs/decisions.md #77)."""

    delivered: float = 24 * 3600.0
    failed: float = 7 * 24 * 3600.0


class Dispatcher:
    def __init__(
        self,
        db: Database,
        sender: Sender,
        now: Callable[[], float],
        *,
        poll: float = 1.0,
        policy: RetryPolicy | None = None,
        retention: Retention | None = None,
        coalesce: float = COALESCE,
    ) -> None:
        self._db = db
        self._sender = sender
        self._now = now
        self._poll = poll
        self._policy = policy or RetryPolicy()
        self._retention = retention or Retention()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._lanes: set[asyncio.Task[None]] = set()
        self._listener: Listener | None = None
        self._last_prune = 0.0
        self._settlements: list[Settlement] = []
        self._coalesce = coalesce

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._run(), name="chinwag-webhooks"))
        if isinstance(self._db, PostgresDatabase) and self._db.listen is not None:
            self._listener = Listener(
                *self._db.listen, {outbox.NOTIFY_CHANNEL: lambda _: self._wake.set()}, "webhook", self._wake.set
            )
            self._tasks.append(asyncio.create_task(self._listener.run(), name="chinwag-webhooks-listen"))

    async def stop(self) -> None:
        for task in [*self._tasks, *self._lanes]:
            task.cancel()
        for task in [*self._tasks, *self._lanes]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):  # what was sent is recorded, not sent again
            await self.fill(claim=False)
        self._tasks.clear()
        self._lanes.clear()
        if self._listener is not None:
            await self._listener.close()
            self._listener = None

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        """Keep up to LANES_AT_ONCE lanes in flight, each its own task: a lane whose receiver
        times out does not hold up the others. A finished lane wakes the loop, which records its
        outcomes and claims more in one write transaction."""
        while True:
            self._wake.clear()
            try:
                await self.fill()
                await self._maybe_prune()
            except Exception as exc:  # a database fault is said once per interval (#50)
                report_background_failure(log, "webhook dispatch", exc)
            await woken_or_after(self._wake, self._poll)
            # Let a burst of commits (and of finished lanes) land before the next write: fewer,
            # fuller transactions. A delivery process of its own on SQLite waits longer: each of
            # its transactions takes the file's write lock away from the workers (delivery_process.py).
            await asyncio.sleep(self._coalesce)

    async def fill(self, *, claim: bool = True) -> list[asyncio.Task[None]]:
        """One write transaction: record the outcomes of the lanes that finished since the last
        one and release them, then lease due lanes for the free slots, reading their pending
        deliveries and the accounts' auth tokens, and start a task for each. It commits before
        anything is sent, so only committed events go out."""
        settled, self._settlements = self._settlements, []
        free = LANES_AT_ONCE - len(self._lanes) if claim else 0
        now = self._now()
        if free > 0 and not settled:
            async with self._db.read() as tx:
                if not await outbox.any_due(tx, now):
                    return []
        elif not settled:
            return []
        try:
            async with self._db.write() as tx:
                if settled:
                    await outbox.record(tx, [o for s in settled for o in s.outcomes])
                    for s in settled:
                        await outbox.release_lane(tx, s.lane, s.version, s.drained, s.next_at)
                lanes = await outbox.claim_lanes(tx, now, now + LEASE, free) if free > 0 else []
                heads = await outbox.lane_heads(tx, [name for name, _ in lanes], LANE_BATCH) if lanes else {}
                accounts = {row.account_sid for rows in heads.values() for row in rows}
                tokens = await account_repo.auth_tokens(tx, accounts) if accounts else {}
        except BaseException:
            # Recorded next time (the leases are held for LEASE seconds, long enough).
            self._settlements[:0] = settled
            raise
        started = []
        for lane, version in lanes:
            work = self._work(lane, version, heads.get(lane, []), tokens)
            task = asyncio.create_task(work, name="chinwag-webhook-lane")
            self._lanes.add(task)
            task.add_done_callback(self._lane_done)
            started.append(task)
        return started

    def _lane_done(self, task: asyncio.Task[None]) -> None:
        self._lanes.discard(task)
        self._wake.set()

    async def round(self) -> int:
        """Lease due lanes and work them to the end of their batch, outcomes recorded; how many
        (tests, profiling)."""
        started = await self.fill()
        await asyncio.gather(*started)
        await self.fill(claim=False)
        return len(started)

    async def _work(self, lane: str, version: int, rows: list[Delivery], tokens: dict[str, str]) -> None:
        outcomes: list[Outcome] = []
        drained = False
        next_at = self._now()
        try:
            started = time.monotonic()
            for row in rows:
                if time.monotonic() - started > LANE_BUDGET:
                    break
                if row.next_at > self._now():  # the head is waiting for its retry
                    next_at = row.next_at
                    break
                outcome = await self._attempt(row, tokens.get(row.account_sid))
                outcomes.append(outcome)
                if outcome.status == outbox.PENDING:
                    next_at = outcome.next_at
                    break
            else:
                drained = len(rows) < LANE_BATCH
        except Exception as exc:
            report_background_failure(log, f"webhook lane {lane}", exc)
        finally:
            # Recorded by the next `fill`, together with the other lanes that finished meanwhile:
            # one write transaction for many lanes rather than one each (bench/webhooks.py).
            self._settlements.append(Settlement(lane, version, outcomes, drained, next_at))

    async def _attempt(self, row: Delivery, token: str | None) -> Outcome:
        attempts = row.attempts + 1
        if token is None:  # the account is gone: nobody to sign for
            result = Result(None, None, "refused: the account no longer exists")
        else:
            params = [(str(k), str(v)) for k, v in orjson.loads(row.params)]
            result = await self._sender.send(Request(row.url, row.method, params, row.token), token)
        return self.outcome(row, attempts, result)

    def outcome(self, row: Delivery, attempts: int, result: Result) -> Outcome:
        now = self._now()
        if result.ok:
            return Outcome(row.id, outbox.DELIVERED, attempts, now, result.status, result.body, None, iso(now))
        shown = f"HTTP {result.status}" if result.status is not None else result.error
        _, over = fragment.split(row.url)
        allowed = self._policy.retries if over.retries is None else over.retries
        if result.retryable and attempts <= allowed:
            wait = self._policy.delay(attempts)
            log.warning(
                "webhook %s %s to %s failed (%s), attempt %d; retrying in %.1f s",
                row.event_type,
                row.sid,
                fragment.split(row.url)[0],
                shown,
                attempts,
                wait,
            )
            return Outcome(
                row.id, outbox.PENDING, attempts, now + wait, result.status, result.body, result.error, iso(now)
            )
        log.warning(
            "webhook %s %s to %s failed (%s), attempt %d; giving up",
            row.event_type,
            row.sid,
            fragment.split(row.url)[0],
            shown,
            attempts,
        )
        return Outcome(row.id, outbox.FAILED, attempts, now, result.status, result.body, result.error, iso(now))

    async def _maybe_prune(self) -> None:
        now = self._now()
        if now - self._last_prune < 60:
            return
        self._last_prune = now
        async with self._db.write() as tx:
            await outbox.prune(tx, now - self._retention.delivered, now - self._retention.failed)
