"""A service's push-notification configuration
(`/v1/Services/{ChatServiceSid}/Configuration/Notifications`) through twilio-python, both engines."""

from __future__ import annotations

import httpx
import pytest
from twilio.rest.conversations.v1 import V1

from chinwag import bootstrap
from tests.conftest import Account, Running, error_of, make_client
from tests.support.expect import twilio_error


def test_defaults_then_update_and_fetch(twilio: V1, running: Running) -> None:
    service = twilio.services.create(friendly_name="push")
    notifications = twilio.services(service.sid).configuration.notifications()
    fresh = notifications.fetch()
    assert (fresh.account_sid, fresh.chat_service_sid) == (service.account_sid, service.sid)
    assert fresh.log_enabled is False
    assert fresh.new_message == {
        "enabled": False,
        "template": None,
        "sound": None,
        "badge_count_enabled": False,
        "with_media": {"enabled": False, "template": None},
    }
    assert fresh.added_to_conversation == {"enabled": False, "template": None, "sound": None}
    assert fresh.removed_from_conversation == {"enabled": False, "template": None, "sound": None}
    assert fresh.url == f"{running.url}/v1/Services/{service.sid}/Configuration/Notifications"

    changed = notifications.update(
        log_enabled=True,
        new_message_enabled=True,
        new_message_template="New message in ${CONVERSATION} from ${PARTICIPANT}: ${MESSAGE}",
        new_message_sound="ring",
        new_message_badge_count_enabled=True,
        new_message_with_media_enabled=True,
        new_message_with_media_template="${MEDIA_COUNT} files in ${CONVERSATION}",
        added_to_conversation_enabled=True,
        added_to_conversation_template="You have been added to ${CONVERSATION}",
    )
    assert changed.log_enabled is True
    assert changed.new_message == {
        "enabled": True,
        "template": "New message in ${CONVERSATION} from ${PARTICIPANT}: ${MESSAGE}",
        "sound": "ring",
        "badge_count_enabled": True,
        "with_media": {"enabled": True, "template": "${MEDIA_COUNT} files in ${CONVERSATION}"},
    }
    assert changed.added_to_conversation == {
        "enabled": True,
        "template": "You have been added to ${CONVERSATION}",
        "sound": None,
    }
    # Only what is sent changes; an empty template clears it.
    again = notifications.update(removed_from_conversation_sound="bell", new_message_template="")
    assert again.removed_from_conversation == {"enabled": False, "template": None, "sound": "bell"}
    assert again.new_message["template"] is None and again.new_message["sound"] == "ring"
    fetched = notifications.fetch()
    assert (fetched.new_message, fetched.added_to_conversation, fetched.removed_from_conversation) == (
        again.new_message,
        again.added_to_conversation,
        again.removed_from_conversation,
    )
    # Each service has its own.
    default = twilio.configuration().fetch().default_chat_service_sid
    assert twilio.services(default).configuration.notifications().fetch().log_enabled is False


@pytest.mark.parametrize(
    "data",
    [{"LogEnabled": "yes"}, {"NewMessage.Enabled": "on"}, {"NewMessage.Template": "t" * 1025, "LogEnabled": "true"}],
)
def test_bad_input_changes_nothing(twilio: V1, http: httpx.Client, data: dict[str, str]) -> None:
    service = twilio.services.create(friendly_name="push")
    path = f"/v1/Services/{service.sid}/Configuration/Notifications"
    http.post(path, data={"NewMessage.Sound": "kept"})
    before = http.get(path).json()
    response = http.post(path, data=data)
    assert response.status_code == 400 and error_of(response)["code"] == 20001
    assert http.get(path).json() == before


def test_unknown_or_foreign_service_is_not_found(twilio: V1, running: Running, http: httpx.Client) -> None:
    service = twilio.services.create(friendly_name="mine")
    missing = "IS" + "0" * 32
    with twilio_error(404, 20404):
        twilio.services(missing).configuration.notifications().fetch()
    other = make_client(running.url, Account(*bootstrap.create_account(running.database_url))).conversations.v1
    with twilio_error(404, 20404):
        other.services(service.sid).configuration.notifications().fetch()
    with twilio_error(404, 20404):
        other.services(service.sid).configuration.notifications().update(log_enabled=True)
    assert twilio.services(service.sid).configuration.notifications().fetch().log_enabled is False
    # Twilio has no short form of this resource.
    assert http.get("/v1/Configuration/Notifications").status_code == 404
