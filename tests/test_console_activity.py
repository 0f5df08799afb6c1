"""The console's request journal and webhook delivery pages (src/chinwag/console/activity.py), over
HTTP, on both engines, against a server in emulator mode that may deliver to a real receiver."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.support.receiver import Answer
from tests.support.webhooks import Hooked

CONSOLE = "/_chinwag/console/"
ON = "true"


@contextmanager
def console_for(hooked: Hooked) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hooked.running.url) as client:
        account = hooked.account
        signed = client.post(CONSOLE + "signin", data={"AccountSid": account.sid, "AuthToken": account.token})
        assert signed.status_code == 303, signed.text
        yield client


def test_the_request_journal_shows_each_request_with_its_hint(hooked: Hooked) -> None:
    hooked.twilio.users.create(identity="alice")
    missed = hooked.http.get("/v1/Users/alcie")
    assert missed.status_code == 404
    with console_for(hooked) as console:
        page = console.get(CONSOLE + "requests")
        assert page.status_code == 200
        text = html.unescape(page.text)
        assert "GET /v1/Users/alcie" in text and "POST /v1/Users" in text
        hint = re.search(r'<div class="hint-text"><strong>Hint:</strong>(.*?)</div>', page.text, re.S)
        assert hint is not None and "alice" in html.unescape(hint.group(1)), page.text[-3000:]
        only_404 = html.unescape(console.get(CONSOLE + "requests", params={"status": "404"}).text)
        assert "GET /v1/Users/alcie" in only_404 and "POST /v1/Users" not in only_404
        # The Authorization header and tokens are never shown.
        assert hooked.account.token not in page.text


def test_webhook_deliveries_show_request_and_response_and_replay(hooked: Hooked) -> None:
    hooked.configure(filters=["onConversationAdded"])
    hooked.receiver.answer = lambda r: Answer(200, b"thanks")
    conv = hooked.twilio.conversations.create(friendly_name="hooked", x_twilio_webhook_enabled=ON)
    hooked.receiver.wait_for(1)
    [delivery] = hooked.settled()
    with console_for(hooked) as console:
        page = console.get(CONSOLE + "deliveries")
        assert page.status_code == 200
        text = html.unescape(page.text)
        assert "onConversationAdded" in text and "delivered" in text
        assert conv.sid in text and "thanks" in text and hooked.receiver.url + "/post" in text
        replayed = console.post(CONSOLE + f"deliveries/{delivery['sid']}/replay")
        assert replayed.status_code == 303
        again = hooked.receiver.wait_for(2)[-1]
        assert again.params == hooked.receiver.requests[0].params
        assert len(hooked.settled()) == 2
        missing = console.post(CONSOLE + "deliveries/WD" + "0" * 32 + "/replay")
        assert missing.status_code == 404


def test_another_account_cannot_replay_a_delivery(hooked: Hooked) -> None:
    hooked.configure(filters=["onConversationAdded"])
    hooked.twilio.conversations.create(friendly_name="mine", x_twilio_webhook_enabled=ON)
    hooked.receiver.wait_for(1)
    [delivery] = hooked.settled()
    from chinwag import bootstrap

    sid, token = bootstrap.create_account(hooked.running.database_url)
    with httpx.Client(base_url=hooked.running.url) as stranger:
        stranger.post(CONSOLE + "signin", data={"AccountSid": sid, "AuthToken": token})
        assert "onConversationAdded" not in stranger.get(CONSOLE + "deliveries").text
        assert stranger.post(CONSOLE + f"deliveries/{delivery['sid']}/replay").status_code == 404
    assert len(hooked.settled()) == 1
