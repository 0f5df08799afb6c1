"""Helpers for tests of emulator mode: an account on a running emulator, with its SDK client and
raw HTTP, and a world of resources to snapshot and reset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from twilio.rest.conversations.v1 import V1

from tests.conftest import Account, make_client, new_account


@dataclass
class Emulated:
    account: Account
    twilio: V1
    http: httpx.Client


def emulated(base_url: str) -> Emulated:
    account = new_account(base_url)
    http = httpx.Client(base_url=base_url, auth=(account.sid, account.token))
    return Emulated(account, make_client(base_url, account).conversations.v1, http)


def build_world(e: Emulated) -> dict[str, Any]:
    """Users, a second service, conversations with timers, participants with read horizons, messages
    (one deleted, so the next index is not count+1), a changed role and account configuration."""
    t = e.twilio
    t.configuration().update(default_inactive_timer="PT5M")
    alice = t.users.create(identity="alice", friendly_name="Alice", attributes='{"k": 1}')
    t.users.create(identity="bob")
    other = t.services.create(friendly_name="second")
    t.services(other.sid).users.create(identity="carol")
    role = t.roles.create(friendly_name="custom", type="conversation", permission=["sendMessage"])
    t.roles(role.sid).update(permission=["sendMessage", "leaveConversation"])
    conv = t.conversations.create(friendly_name="chat", unique_name="chat", state="active", timers_closed="PT20M")
    t.conversations(conv.sid).participants.create(identity="alice")
    t.conversations(conv.sid).participants.create(identity="bob", role_sid=role.sid)
    for n in range(4):
        t.conversations(conv.sid).messages.create(author="bob", body=f"hello {n}")
    doomed = t.conversations(conv.sid).messages.create(author="alice", body="oops")
    t.conversations(conv.sid).messages(doomed.sid).delete()
    t.conversations(conv.sid).participants("alice").update(last_read_message_index=1)
    t.configuration.webhooks().update(post_webhook_url="http://127.0.0.1:9/post", filters=["onMessageAdded"])
    t.services(other.sid).configuration.webhooks().update(pre_webhook_url="http://127.0.0.1:9/pre", method="GET")
    t.conversations(conv.sid).webhooks.create(
        target="webhook", configuration_url="http://127.0.0.1:9/conv", configuration_filters=["onMessageAdded"]
    )
    quiet = t.services(other.sid).conversations.create(friendly_name="quiet")
    t.services(other.sid).conversations(quiet.sid).participants.create(identity="carol")
    t.services(other.sid).conversations(quiet.sid).messages.create(author="carol", body="anyone?")
    return {"alice": alice.sid, "service": other.sid, "conversation": conv.sid, "quiet": quiet.sid, "role": role.sid}
