"""cds: the Sync service, read-only: object and item reads, and subscriptions with replay.

Reads go to the projection (realtime/sync_reads.py). `POST /v4/Subscriptions` answers 202 at
once; then, per object, the connection queues the object's logged events after the client's
`last_event_id` and `subscription_established` (or `subscription_failed`, 404 for an object it
may not see). Live events for an object that arrive while its replay is read are held
(`Connection.replaying`) and sent after it, without the ones the replay already carried.
"""

from __future__ import annotations

import asyncio
from typing import Any

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.realtime import log as event_log
from chinwag.realtime import sync_reads
from chinwag.realtime.upstream import Answer, Call

KINDS = {"Maps": "map", "Lists": "list", "Documents": "document"}
ESTIMATED_DELIVERY_MS = 5000
REPLAY_BATCH = 1000


async def route(call: Call, segments: list[str]) -> Answer:
    conn = call.conn
    grant = conn.grant
    assert grant is not None
    if segments[:2] == ["v4", "Subscriptions"] and call.method == "POST":
        return subscriptions(call)
    if len(segments) >= 3 and segments[0] == "v3" and segments[1] in KINDS and call.method == "GET":
        object_sid = segments[2]
        db = conn.rt.db  # sync_reads checks access first (docs/decisions.md #120, #137)
        try:
            if len(segments) == 3:
                include = call.params.get("Include", "").lower() == "items"
                return Answer(200, await sync_reads.read_object(db, grant, object_sid, include_items=include))
            if len(segments) == 4 and segments[3] == "Items":
                return Answer(200, await sync_reads.read_items(db, grant, object_sid, call.params))
        except sync_reads.SyncReadError as refused:
            return Answer(refused.status, refused.body())
    raise TwilioError(ErrorCode.NOT_FOUND, path="/" + "/".join(segments))


def subscriptions(call: Call) -> Answer:
    body = call.json()
    requests = body.get("requests")
    if not isinstance(requests, list):
        raise TwilioError(ErrorCode.INVALID_PARAMETER, message="requests is required")
    correlation = body.get("correlation_id")
    action = body.get("action")
    if action == "cancel":
        for request in requests:
            if isinstance(request, dict):
                sid = str(request.get("object_sid", ""))
                call.conn.rt.hub.unsubscribe(call.conn, sid)
                call.conn.notify(
                    "twilio.sync.event",
                    {
                        "event_type": "subscription_canceled",
                        "correlation_id": correlation,
                        "event": {"object_sid": sid, "object_type": request.get("object_type")},
                    },
                )
    elif action == "establish":
        wanted = [r for r in requests if isinstance(r, dict) and r.get("object_sid")]
        call.conn.spawn(_establish(call, wanted, correlation))
    else:
        raise TwilioError(ErrorCode.INVALID_PARAMETER, message="action must be establish or cancel")
    return Answer(202, {"estimated_delivery_in_ms": ESTIMATED_DELIVERY_MS, "max_batch_size": 100, "ttl_in_s": -1})


async def _establish(call: Call, requests: list[dict[str, Any]], correlation: Any) -> None:
    await asyncio.sleep(0)  # the 202 reply leaves first
    conn = call.conn
    grant = conn.grant
    assert grant is not None
    hub = conn.rt.hub
    for request in requests:
        sid = str(request["object_sid"])
        kind = str(request.get("object_type") or "")
        since = request.get("last_event_id")
        since_id = since if isinstance(since, int) and not isinstance(since, bool) else 0
        conn.replaying[sid] = []
        try:
            try:
                await sync_reads.check_access(conn.rt.db, grant, sid)
            except sync_reads.SyncReadError as refused:
                conn.notify("twilio.sync.event", _failed(sid, kind, correlation, refused))
                continue
            hub.subscribe(conn, sid)  # live events from now on are held in conn.replaying
            newest = since_id
            while True:  # read REPLAY_BATCH at a time, all of them (docs/decisions.md #134)
                replayed = await event_log.replay(conn.rt.db, grant.account_sid, sid, newest, REPLAY_BATCH)
                for event in replayed:
                    conn.notify("twilio.sync.event", event.notification())
                    newest = max(newest, event.id)
                if len(replayed) < REPLAY_BATCH:
                    break
            for event in conn.replaying.get(sid, []):
                if event.id > newest:
                    conn.notify("twilio.sync.event", event.notification())
                    newest = event.id
            conn.notify(
                "twilio.sync.event",
                {
                    "event_type": "subscription_established",
                    "correlation_id": correlation,
                    "event": {
                        "object_sid": sid,
                        "object_type": kind,
                        "replay_status": "completed",
                        "last_event_id": newest,
                    },
                },
            )
        finally:
            conn.replaying.pop(sid, None)


def _failed(sid: str, kind: str, correlation: Any, refused: sync_reads.SyncReadError) -> dict[str, Any]:
    """The client fails the object; 404 means it is gone (a forbidden one is 403)."""
    return {
        "event_type": "subscription_failed",
        "correlation_id": correlation,
        "event": {"object_sid": sid, "object_type": kind, "error": refused.body()},
    }
