"""Delivery receipts (DY) and each message's `delivery` summary, for participants with a messaging
binding (SMS/WhatsApp): chat participants read through the SDK and get none.

A message posted to a conversation with such participants gets one receipt per participant in the
same transaction, status `sent` (chinwag hands the message over at once; nothing is queued). The
emulator's `POST /_chinwag/v1/Receipts` moves a receipt on; the summary is recomputed from the
message's receipts under the message's row lock (docs/decisions.md #110).
"""

from __future__ import annotations

import orjson

from chinwag.core.errors import ErrorCode, TwilioError, invalid
from chinwag.core.pagination import PageRequest
from chinwag.core.sids import SidPrefix
from chinwag.domain.deps import Deps
from chinwag.domain.models import DeliveryReceipt, Message, Page
from chinwag.storage.db import Tx
from chinwag.storage.repos import receipts as repo

STATUSES = ("sent", "delivered", "read", "failed", "undelivered")
# Which summary stages a receipt in each status has reached (docs/decisions.md #110): a read
# message was delivered and sent; an undelivered one was sent; a failed one never left.
_REACHED = {
    "sent": ("sent",),
    "delivered": ("sent", "delivered"),
    "read": ("sent", "delivered", "read"),
    "undelivered": ("sent", "undelivered"),
    "failed": ("failed",),
}
ERROR_CODE_MAX = 99999


def summary(statuses: list[str]) -> str | None:
    """Twilio's `delivery` object as JSON text: `total`, then each stage `all`, `some` or `none`."""
    if not statuses:
        return None
    total = len(statuses)
    counts = dict.fromkeys(STATUSES, 0)
    for status in statuses:
        for stage in _REACHED[status]:
            counts[stage] += 1
    body: dict[str, object] = {"total": total}
    for stage in STATUSES:
        n = counts[stage]
        body[stage] = "all" if n == total else "some" if n else "none"
    return orjson.dumps(body).decode()


async def recipients(tx: Tx, conversation_sid: str, expected: int) -> list[tuple[str, str, str, str | None]]:
    """The participants a new message goes out to. `expected` is the conversation's counter of
    them: zero means none and costs no query (the chat-only hot path)."""
    if expected == 0:
        return []
    return [(r[0], r[1] or "sms", r[2], r[3]) for r in await repo.binding_recipients(tx, conversation_sid)]


async def record(tx: Tx, deps: Deps, message: Message, to: list[tuple[str, str, str, str | None]]) -> None:
    """One `sent` receipt per recipient of a message just inserted (its `delivery` already says so)."""
    now = deps.now()
    made = []
    for participant_sid, channel, address, proxy in to:
        made.append(
            DeliveryReceipt(
                0,
                deps.sid(SidPrefix.DELIVERY_RECEIPT),
                message.account_sid,
                message.chat_service_sid,
                message.conversation_sid,
                message.sid,
                participant_sid,
                deps.sid(SidPrefix.CHANNEL_MESSAGE),
                "sent",
                0,
                channel,
                address,
                proxy,
                now,
                now,
            )
        )
    await repo.insert_many(tx, made)


async def fetch(tx: Tx, message: Message, sid: str, path: str) -> DeliveryReceipt:
    found = await repo.get(tx, message.sid, sid)
    if found is None:
        raise TwilioError(ErrorCode.NOT_FOUND, path=path)
    return found


async def page(tx: Tx, message: Message, req: PageRequest) -> Page[DeliveryReceipt]:
    return await repo.page(tx, message.sid, req)


def _error_code(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if (
        len(value) > len(str(ERROR_CODE_MAX))
        or not (value.isascii() and value.isdigit())
        or int(value) > ERROR_CODE_MAX
    ):
        raise invalid(f"Invalid value for ErrorCode: {value!r} (expected a number from 0 to {ERROR_CODE_MAX})")
    return int(value)


async def move(
    tx: Tx,
    deps: Deps,
    account_sid: str,
    message_sid: str,
    participant_sid: str,
    status: str | None,
    error_code: str | None,
) -> DeliveryReceipt:
    """The emulator's receipt update: the receipt of that message (of this account) and participant
    takes `status`, and the message's summary follows."""
    if not status:
        raise TwilioError(ErrorCode.MISSING_PARAMETER, name="Status")
    if status not in STATUSES:
        raise invalid(f"Invalid value for Status: {status!r} (one of {', '.join(STATUSES)})")
    code = _error_code(error_code)
    if not await repo.lock_message(tx, account_sid, message_sid):
        raise TwilioError(ErrorCode.RECEIPT_NOT_FOUND, message_sid=message_sid, participant_sid=participant_sid)
    current = await repo.by_participant(tx, message_sid, participant_sid)
    if current is None:
        raise TwilioError(ErrorCode.RECEIPT_NOT_FOUND, message_sid=message_sid, participant_sid=participant_sid)
    moved = await repo.set_status(tx, current.sid, status, code, deps.now())
    delivery = summary(await repo.statuses(tx, message_sid))
    assert delivery is not None
    await repo.set_delivery(tx, message_sid, delivery)
    return moved
