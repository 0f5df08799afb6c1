"""`GET /_chinwag/v1/WebhookDeliveries?Wait=<seconds>&Count=N`: answers as soon as N deliveries
match the filters, or when the wait ends, so tests never sleep (docs/decisions.md #85)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.conftest import error_of
from tests.support.webhooks import Hooked

DELIVERIES = "/_chinwag/v1/WebhookDeliveries"


def test_a_long_poll_answers_once_enough_deliveries_exist(hooked: Hooked) -> None:
    hooked.configure(filters=["onMessageAdded", "onConversationAdded"])
    conv = hooked.twilio.conversations.create(friendly_name="c", x_twilio_webhook_enabled="true")
    answer: dict[str, Any] = {}

    def poll() -> None:
        started = time.monotonic()
        response = hooked.http.get(DELIVERIES, params={"Wait": "20", "Count": "2", "EventType": "onMessageAdded"})
        answer.update(elapsed=time.monotonic() - started, response=response)

    waiting = threading.Thread(target=poll)
    waiting.start()
    time.sleep(1.0)
    assert waiting.is_alive()  # nothing matching yet: still waiting
    for n in range(2):
        hooked.twilio.conversations(conv.sid).messages.create(body=f"m{n}", x_twilio_webhook_enabled="true")
    waiting.join(25)
    assert answer["response"].status_code == 200, answer["response"].text
    assert 1.0 <= answer["elapsed"] < 10
    found = answer["response"].json()["deliveries"]
    assert [d["event_type"] for d in found] == ["onMessageAdded", "onMessageAdded"]
    assert "Wait" not in answer["response"].json()["meta"]["url"]


def test_a_long_poll_ends_with_what_there_is_when_the_wait_ends(hooked: Hooked) -> None:
    hooked.configure(filters=["onConversationAdded"])
    hooked.twilio.conversations.create(friendly_name="c", x_twilio_webhook_enabled="true")
    started = time.monotonic()
    response = hooked.http.get(DELIVERIES, params={"Wait": "1.5", "Count": "3"})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert 1.4 <= elapsed < 8
    assert len(response.json()["deliveries"]) == 1
    # Already enough: no wait at all.
    started = time.monotonic()
    assert len(hooked.http.get(DELIVERIES, params={"Wait": "20", "Count": "1"}).json()["deliveries"]) == 1
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "params",
    [
        {"Wait": "soon"},
        {"Wait": "nan"},
        {"Wait": "inf"},
        {"Wait": "-1"},
        {"Wait": "61"},
        {"Wait": "1", "Count": "0"},
        {"Wait": "1", "Count": "two"},
        {"Wait": "1", "Count": "1001"},
        {"Count": "2"},
    ],
)
def test_bad_long_poll_values_are_400(hooked: Hooked, params: dict[str, str]) -> None:
    response = hooked.http.get(DELIVERIES, params=params)
    assert response.status_code == 400, response.text
    assert error_of(response)["code"] == 20001
