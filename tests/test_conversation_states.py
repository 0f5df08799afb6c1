"""Conversation states and timers through twilio-python, in both URL forms, on both engines
(Twilio's docs, decisions.md #14, #17). Timers firing on a running server: test_timers.py."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from twilio.rest.conversations.v1 import V1

from tests.support.expect import twilio_error
from tests.support.scoped import Scoped, parse_date

MG = "MG" + "ab" * 16
OTHER_MG = "MG" + "cd" * 16


def test_state_on_create(where: Scoped) -> None:
    assert where.conversations.create(state="active").state == "active"
    assert where.conversations.create(state="inactive").state == "inactive"
    with twilio_error(400, 50384):
        where.conversations.create(state="closed")
    with twilio_error(400, 50378):
        where.conversations.create(state="archived")
    with twilio_error(400, 50374):
        where.conversations.create(state="")
    assert len(where.conversations.list()) == 2


def test_state_transitions_and_closed_is_final(where: Scoped) -> None:
    conv = where.conversations.create(unique_name="st")
    assert where.conversations("st").update(state="inactive").state == "inactive"
    assert where.conversations("st").update(state="active").state == "active"
    with twilio_error(400, 50378):
        where.conversations("st").update(state="paused")
    with twilio_error(400, 50374):
        where.conversations("st").update(state="")
    assert where.conversations("st").fetch().state == "active"
    closed = where.conversations("st").update(state="closed")
    assert closed.state == "closed" and closed.timers == {}
    for change in ({"state": "active"}, {"state": "closed"}, {"friendly_name": "again"}, {"attributes": "{}"}):
        with twilio_error(409, 50377):
            where.conversations(conv.sid).update(**change)
    with twilio_error(409, 50377):
        where.conversations(conv.sid).messages.create(body="too late")
    with twilio_error(409, 50377):
        where.conversations(conv.sid).participants.create(identity="late")
    after = where.conversations(conv.sid).fetch()
    assert after.state == "closed" and after.friendly_name is None
    # Closed conversations can still be read and deleted.
    assert where.conversations(conv.sid).delete() is True


def test_bad_state_errors_change_nothing(where: Scoped) -> None:
    conv = where.conversations.create(friendly_name="before")
    with twilio_error(400, 50378):
        where.conversations(conv.sid).update(friendly_name="after", state="gone")
    assert where.conversations(conv.sid).fetch().friendly_name == "before"


# --- timers --------------------------------------------------------------------------------------


def _deadline(conv: object, key: str) -> datetime:
    timers = conv.timers  # type: ignore[attr-defined]
    return parse_date(timers[key])


def test_timers_on_create_need_a_state(where: Scoped) -> None:
    with twilio_error(400, 50382):
        where.conversations.create(timers_inactive="PT5M")
    with twilio_error(400, 50382):
        where.conversations.create(timers_closed="PT20M")
    assert where.conversations.list() == []


def test_timer_values_become_deadlines(where: Scoped) -> None:
    conv = where.conversations.create(state="active", timers_inactive="PT5M", timers_closed="PT20M")
    assert set(conv.timers) == {"date_inactive", "date_closed"}
    start = conv.date_created
    assert abs(_deadline(conv, "date_inactive") - (start + timedelta(minutes=5))) <= timedelta(seconds=2)
    assert abs(_deadline(conv, "date_closed") - (start + timedelta(minutes=20))) <= timedelta(seconds=2)
    fetched = where.conversations(conv.sid).fetch()
    assert fetched.timers == conv.timers

    long = where.conversations.create(state="active", timers_inactive="P1DT2H", timers_closed="P1W")
    assert abs(_deadline(long, "date_inactive") - (long.date_created + timedelta(days=1, hours=2))) <= timedelta(
        seconds=2
    )
    assert abs(_deadline(long, "date_closed") - (long.date_created + timedelta(weeks=1))) <= timedelta(seconds=2)

    # An inactive conversation has no inactive deadline ahead, only the closing one.
    idle = where.conversations.create(state="inactive", timers_inactive="PT5M", timers_closed="PT20M")
    assert set(idle.timers) == {"date_closed"}

    # PT0S disables a timer.
    off = where.conversations.create(state="active", timers_inactive="PT0S", timers_closed="PT10M")
    assert set(off.timers) == {"date_closed"}


def test_timers_on_update(where: Scoped) -> None:
    conv = where.conversations.create()
    assert conv.timers == {}
    # On update, timers need no State.
    timed = where.conversations(conv.sid).update(timers_inactive="PT2M")
    assert set(timed.timers) == {"date_inactive"}
    assert abs(_deadline(timed, "date_inactive") - (timed.date_updated + timedelta(minutes=2))) <= timedelta(seconds=2)
    both = where.conversations(conv.sid).update(timers_closed="PT30M")
    assert set(both.timers) == {"date_inactive", "date_closed"}
    idle = where.conversations(conv.sid).update(state="inactive")
    assert set(idle.timers) == {"date_closed"}
    active = where.conversations(conv.sid).update(state="active")
    assert set(active.timers) == {"date_inactive", "date_closed"}
    cleared = where.conversations(conv.sid).update(timers_inactive="PT0S", timers_closed="PT0S")
    assert cleared.timers == {}


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("timers_inactive", "five minutes", 50379),
        ("timers_closed", "soon", 50380),
        ("timers_inactive", "PT59S", 50375),
        ("timers_closed", "PT9M59S", 50376),
        ("timers_closed", "PT5M", 50376),
    ],
)
def test_timer_validation(where: Scoped, field: str, value: str, code: int) -> None:
    with twilio_error(400, code):
        where.conversations.create(state="active", **{field: value})
    conv = where.conversations.create(state="active", timers_inactive="PT1M", timers_closed="PT10M")
    with twilio_error(400, code):
        where.conversations(conv.sid).update(**{field: value})
    assert where.conversations(conv.sid).fetch().timers == conv.timers
    assert len(where.conversations.list()) == 1


def test_account_default_timers_apply_to_new_conversations(where: Scoped, twilio: V1) -> None:
    twilio.configuration().update(default_inactive_timer="PT3M", default_closed_timer="PT15M")
    conv = where.conversations.create(friendly_name="defaults")
    assert set(conv.timers) == {"date_inactive", "date_closed"}
    assert abs(_deadline(conv, "date_inactive") - (conv.date_created + timedelta(minutes=3))) <= timedelta(seconds=2)
    assert abs(_deadline(conv, "date_closed") - (conv.date_created + timedelta(minutes=15))) <= timedelta(seconds=2)
    # Timers in the request replace the defaults.
    own = where.conversations.create(state="active", timers_inactive="PT0S", timers_closed="PT1H")
    assert set(own.timers) == {"date_closed"}
    assert abs(_deadline(own, "date_closed") - (own.date_created + timedelta(hours=1))) <= timedelta(seconds=2)
    # Clearing the defaults affects only conversations created afterwards.
    twilio.configuration().update(default_inactive_timer="", default_closed_timer="")
    assert where.conversations.create().timers == {}
    assert where.conversations(conv.sid).fetch().timers == conv.timers


def test_account_default_messaging_service_applies_to_new_conversations(where: Scoped, twilio: V1) -> None:
    twilio.configuration().update(default_messaging_service_sid=MG)
    assert where.conversations.create().messaging_service_sid == MG
    assert where.conversations.create(messaging_service_sid=OTHER_MG).messaging_service_sid == OTHER_MG


def test_a_message_wakes_an_inactive_conversation(where: Scoped) -> None:
    conv = where.conversations.create(state="inactive")
    assert conv.state == "inactive"
    where.conversations(conv.sid).messages.create(body="wake up")
    assert where.conversations(conv.sid).fetch().state == "active"
    # And with timers: the inactive deadline comes back.
    timed = where.conversations.create(state="inactive", timers_inactive="PT5M", timers_closed="PT1H")
    assert set(timed.timers) == {"date_closed"}
    where.conversations(timed.sid).messages.create(body="hello")
    woken = where.conversations(timed.sid).fetch()
    assert woken.state == "active"
    assert set(woken.timers) == {"date_inactive", "date_closed"}


# --- list ----------------------------------------------------------------------------------------
