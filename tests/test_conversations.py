"""Conversations through twilio-python, in both URL forms, on both engines (Twilio's docs,
decisions.md #14, #15, #17, #18)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
from twilio.base.exceptions import TwilioRestException
from twilio.rest.conversations.v1 import V1

from tests.conftest import Account, Running, error_of, make_client
from tests.support.expect import twilio_error
from tests.support.scoped import Scoped
from tests.support.spec_shape import CONVERSATION, assert_shape

MG = "MG" + "ab" * 16
OTHER_MG = "MG" + "cd" * 16
CH_LIKE = "CH" + "0" * 32


def test_create_fetch_update_delete(where: Scoped) -> None:
    conv = where.conversations.create(
        friendly_name="Support",
        unique_name="support-1",
        attributes='{"topic": "billing"}',
        messaging_service_sid=MG,
        bindings_email_address="help@example.com",
        bindings_email_name="Help Desk",
    )
    assert conv.sid.startswith("CH") and len(conv.sid) == 34 and conv.sid[2:] == conv.sid[2:].lower()
    assert conv.chat_service_sid == where.service_sid
    assert conv.account_sid.startswith("AC")
    assert conv.friendly_name == "Support"
    assert conv.unique_name == "support-1"
    assert json.loads(conv.attributes) == {"topic": "billing"}
    assert conv.messaging_service_sid == MG
    assert conv.state == "active"
    assert conv.timers == {}
    assert conv.bindings == {"email": {"address": "help@example.com", "name": "Help Desk"}}
    assert conv.date_created == conv.date_updated
    url = f"{where.prefix}/Conversations/{conv.sid}"
    assert conv.url == url
    assert conv.links == {
        "participants": f"{url}/Participants",
        "messages": f"{url}/Messages",
        "webhooks": f"{url}/Webhooks",
        "export": f"{url}/Export",
    }

    by_sid = where.conversations(conv.sid).fetch()
    by_name = where.conversations("support-1").fetch()
    assert by_sid.sid == by_name.sid == conv.sid
    assert by_name.url == url and by_name.date_created == conv.date_created

    updated = where.conversations("support-1").update(
        friendly_name="Support (EU)",
        attributes="[1, 2]",
        messaging_service_sid=OTHER_MG,
        unique_name="support-eu",
        bindings_email_name="EU Desk",
    )
    assert updated.sid == conv.sid
    assert updated.friendly_name == "Support (EU)"
    assert updated.attributes == "[1, 2]"
    assert updated.messaging_service_sid == OTHER_MG
    assert updated.unique_name == "support-eu"
    assert updated.bindings == {"email": {"address": "help@example.com", "name": "EU Desk"}}
    assert updated.date_created == conv.date_created
    assert updated.date_updated >= conv.date_updated
    assert where.conversations("support-eu").fetch().friendly_name == "Support (EU)"
    with twilio_error(404, 20404):
        where.conversations("support-1").fetch()

    # An update that sends nothing changes nothing it was not asked to.
    same = where.conversations(conv.sid).update()
    assert (same.friendly_name, same.unique_name, same.attributes) == ("Support (EU)", "support-eu", "[1, 2]")

    assert where.conversations("support-eu").delete() is True
    with twilio_error(404, 20404):
        where.conversations(conv.sid).fetch()
    with twilio_error(404, 20404):
        where.conversations(conv.sid).delete()
    with twilio_error(404, 20404):
        where.conversations(conv.sid).update(friendly_name="x")


def test_defaults_of_a_bare_conversation(where: Scoped) -> None:
    conv = where.conversations.create()
    assert conv.friendly_name is None
    assert conv.unique_name is None
    assert conv.attributes == "{}"
    assert conv.state == "active"
    assert conv.messaging_service_sid is None
    assert conv.timers == {}
    assert conv.bindings == {}


def test_wire_shape(where: Scoped, http: httpx.Client) -> None:
    made = http.post(f"{where.base}/Conversations", data={"FriendlyName": "shape", "UniqueName": "shape"})
    assert made.status_code == 201, made.text
    assert_shape(made.json(), CONVERSATION, where.form)
    sid = made.json()["sid"]
    for path in (f"{where.base}/Conversations/{sid}", f"{where.base}/Conversations/shape"):
        fetched = http.get(path)
        assert fetched.status_code == 200
        assert_shape(fetched.json(), CONVERSATION, where.form)
        assert fetched.json() == made.json()
    updated = http.post(f"{where.base}/Conversations/{sid}", data={"State": "inactive"})
    assert updated.status_code == 200
    assert_shape(updated.json(), CONVERSATION, where.form)
    listed = http.get(f"{where.base}/Conversations")
    assert listed.status_code == 200
    assert set(listed.json()) == {"conversations", "meta"}
    assert listed.json()["meta"]["key"] == "conversations"
    (item,) = listed.json()["conversations"]
    assert_shape(item, CONVERSATION, where.form)
    assert item["url"] == f"{where.prefix}/Conversations/{sid}"
    deleted = http.delete(f"{where.base}/Conversations/shape")
    assert deleted.status_code == 204 and deleted.content == b""


def test_both_url_forms_reach_the_default_service(twilio: V1, running: Running) -> None:
    default = twilio.configuration().fetch().default_chat_service_sid
    conv = twilio.conversations.create(unique_name="both")
    long_form = twilio.services(default).conversations("both").fetch()
    assert long_form.sid == conv.sid
    assert long_form.url == f"{running.url}/v1/Services/{default}/Conversations/{conv.sid}"
    assert conv.url == f"{running.url}/v1/Conversations/{conv.sid}"
    # A conversation of another service is not reachable through the short form, nor the reverse.
    other = twilio.services.create(friendly_name="other").sid
    theirs = twilio.services(other).conversations.create(unique_name="theirs")
    with twilio_error(404, 20404):
        twilio.conversations(theirs.sid).fetch()
    with twilio_error(404, 20404):
        twilio.services(other).conversations(conv.sid).fetch()


def test_dates_can_be_set(where: Scoped) -> None:
    created = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    updated = datetime(2021, 6, 7, 8, 9, 10, tzinfo=UTC)
    conv = where.conversations.create(date_created=created, date_updated=updated)
    assert conv.date_created == created and conv.date_updated == updated
    later = datetime(2022, 1, 1, tzinfo=UTC)
    changed = where.conversations(conv.sid).update(date_updated=later)
    assert changed.date_created == created and changed.date_updated == later
    # Without DateUpdated an update stamps the current time.
    touched = where.conversations(conv.sid).update(friendly_name="now")
    assert touched.date_updated > later


def test_bad_dates_are_refused(where: Scoped) -> None:
    with twilio_error(400, 20001):
        where.conversations.create(date_created="yesterday")
    conv = where.conversations.create()
    with twilio_error(400, 20001):
        where.conversations(conv.sid).update(date_updated="2021-13-45")


def test_unique_name_is_unique_per_service(where: Scoped, twilio: V1) -> None:
    first = where.conversations.create(unique_name="room")
    with twilio_error(409, 50353):
        where.conversations.create(unique_name="room")
    second = where.conversations.create(unique_name="room-2")
    with twilio_error(409, 50353):
        where.conversations(second.sid).update(unique_name="room")
    assert where.conversations(second.sid).fetch().unique_name == "room-2"
    # Case matters, and another service has its own names.
    assert where.conversations.create(unique_name="Room").sid != first.sid
    other = twilio.services.create(friendly_name="other").sid
    assert twilio.services(other).conversations.create(unique_name="room").sid != first.sid
    # An empty UniqueName clears it, freeing the name.
    cleared = where.conversations("room").update(unique_name="")
    assert cleared.unique_name is None
    assert where.conversations.create(unique_name="room").sid != first.sid


def test_unique_name_must_not_look_like_a_conversation_sid(where: Scoped) -> None:
    with twilio_error(400, 50390):
        where.conversations.create(unique_name=CH_LIKE)
    with twilio_error(400, 50390):
        where.conversations.create(unique_name="CH" + "AB" * 16)
    conv = where.conversations.create(unique_name="fine")
    with twilio_error(400, 50390):
        where.conversations(conv.sid).update(unique_name=CH_LIKE)
    assert where.conversations(conv.sid).fetch().unique_name == "fine"
    # Other SID shapes are just names.
    assert where.conversations.create(unique_name="US" + "0" * 32).unique_name == "US" + "0" * 32


def test_unique_name_with_reserved_characters_addresses_every_path(where: Scoped, http: httpx.Client) -> None:
    name = "sales+eu room@acme"
    conv = where.conversations.create(unique_name=name)
    assert where.conversations(name).fetch().sid == conv.sid
    part = where.conversations(name).participants.create(identity="amy")
    assert where.conversations(name).participants(part.sid).fetch().conversation_sid == conv.sid
    msg = where.conversations(name).messages.create(body="hi")
    assert where.conversations(name).messages(msg.sid).fetch().conversation_sid == conv.sid
    assert [m.sid for m in where.conversations(name).messages.list()] == [msg.sid]
    assert [p.sid for p in where.conversations(name).participants.list()] == [part.sid]
    raw = http.get(f"{where.base}/Conversations/sales%2Beu%20room%40acme")
    assert raw.status_code == 200 and raw.json()["sid"] == conv.sid


def test_attributes_validation(where: Scoped) -> None:
    with twilio_error(400, 50304):
        where.conversations.create(attributes="{not json")
    big = json.dumps({"k": "v" * (16 * 1024 - 9)})
    assert len(big) == 16 * 1024
    conv = where.conversations.create(attributes=big)
    assert conv.attributes == big
    with twilio_error(400, 50303):
        where.conversations.create(attributes=json.dumps({"k": "v" * (16 * 1024 - 8)}))
    with twilio_error(400, 50304):
        where.conversations(conv.sid).update(attributes="[")
    assert where.conversations(conv.sid).fetch().attributes == big
    # Any JSON text, not only objects; empty resets to "{}".
    assert where.conversations(conv.sid).update(attributes='"text"').attributes == '"text"'
    assert where.conversations(conv.sid).update(attributes="").attributes == "{}"


def test_friendly_name_and_messaging_service_validation(where: Scoped) -> None:
    assert where.conversations.create(friendly_name="n" * 256).friendly_name == "n" * 256
    with twilio_error(400, 50003):
        where.conversations.create(friendly_name="n" * 257)
    with twilio_error(400, 20001):
        where.conversations.create(messaging_service_sid="not-a-sid")
    conv = where.conversations.create(friendly_name="keep", messaging_service_sid=MG)
    with twilio_error(400, 50003):
        where.conversations(conv.sid).update(friendly_name="n" * 257)
    cleared = where.conversations(conv.sid).update(friendly_name="", messaging_service_sid="")
    assert cleared.friendly_name is None and cleared.messaging_service_sid is None


# --- states --------------------------------------------------------------------------------------


def test_list_filters(where: Scoped, http: httpx.Client) -> None:
    jan = where.conversations.create(friendly_name="jan", date_created=datetime(2023, 1, 15, tzinfo=UTC))
    feb = where.conversations.create(
        friendly_name="feb", state="inactive", date_created=datetime(2023, 2, 15, tzinfo=UTC)
    )
    mar = where.conversations.create(friendly_name="mar", date_created=datetime(2023, 3, 15, tzinfo=UTC))
    where.conversations(mar.sid).update(state="closed")
    # Without filters: creation order.
    assert [c.sid for c in where.conversations.list()] == [jan.sid, feb.sid, mar.sid]
    assert [c.sid for c in where.conversations.list(state="active")] == [jan.sid]
    assert [c.sid for c in where.conversations.list(state="inactive")] == [feb.sid]
    assert [c.sid for c in where.conversations.list(state="closed")] == [mar.sid]
    # Date filters select by creation date, newest first, bounds inclusive.
    ranged = where.conversations.list(start_date="2023-01-15T00:00:00Z", end_date="2023-02-28T23:59:59Z")
    assert [c.sid for c in ranged] == [feb.sid, jan.sid]
    since = where.conversations.list(start_date="2023-02-01T00:00:00Z")
    assert [c.sid for c in since] == [mar.sid, feb.sid]
    until = where.conversations.list(end_date="2023-02-15T00:00:00Z")
    assert [c.sid for c in until] == [feb.sid, jan.sid]
    assert [c.sid for c in where.conversations.list(start_date="2023-01-01T00:00:00Z", state="closed")] == [mar.sid]
    assert where.conversations.list(start_date="2024-01-01T00:00:00Z") == []

    bad_state = http.get(f"{where.base}/Conversations", params={"State": "gone"})
    assert (bad_state.status_code, error_of(bad_state)["code"]) == (400, 50378)
    bad_date = http.get(f"{where.base}/Conversations", params={"StartDate": "last week"})
    assert (bad_date.status_code, error_of(bad_date)["code"]) == (400, 20001)
    bad_size = http.get(f"{where.base}/Conversations", params={"PageSize": "0"})
    assert (bad_size.status_code, error_of(bad_size)["code"]) == (400, 20001)


def test_list_pages(where: Scoped, http: httpx.Client) -> None:
    made = [where.conversations.create(friendly_name=f"c{i}").sid for i in range(7)]
    assert [c.sid for c in where.conversations.stream(page_size=3)] == made
    first = where.conversations.page(page_size=3)
    second = first.next_page()
    third = second.next_page()
    assert [c.sid for c in first] + [c.sid for c in second] + [c.sid for c in third] == made
    assert third.next_page() is None
    assert [c.sid for c in second.previous_page()] == made[:3]

    # Filtered and date-ordered lists page newest first, and the filters stay in the page links.
    params = {"StartDate": "2000-01-01T00:00:00Z", "State": "active", "PageSize": "4"}
    page = http.get(f"{where.base}/Conversations", params=params).json()
    assert [c["sid"] for c in page["conversations"]] == made[::-1][:4]
    next_url = page["meta"]["next_page_url"]
    assert next_url.startswith(f"{where.prefix}/Conversations?")
    assert "StartDate=2000-01-01T00%3A00%3A00Z" in next_url and "State=active" in next_url
    rest = http.get(next_url).json()
    assert [c["sid"] for c in rest["conversations"]] == made[::-1][4:]
    assert rest["meta"]["next_page_url"] is None
    # A token from the filtered list is refused on the unfiltered list.
    token = next_url.split("PageToken=")[1]
    foreign = http.get(f"{where.base}/Conversations", params={"PageToken": token})
    assert (foreign.status_code, error_of(foreign)["code"]) == (400, 20001)


# --- what depends on a conversation ---------------------------------------------------------------


def test_delete_removes_participants_and_messages(where: Scoped, twilio: V1, http: httpx.Client) -> None:
    conv = where.conversations.create(unique_name="doomed")
    part = where.conversations("doomed").participants.create(identity="dora")
    sms = where.conversations("doomed").participants.create(
        messaging_binding_address="+15550001111", messaging_binding_proxy_address="+15550002222"
    )
    msg = where.conversations("doomed").messages.create(author="dora", body="bye")
    users = twilio.services(where.service_sid).users
    assert [c.conversation_sid for c in users("dora").user_conversations.list()] == [conv.sid]
    assert where.conversations("doomed").delete() is True
    for path in (
        f"{where.base}/Conversations/{conv.sid}/Participants/{part.sid}",
        f"{where.base}/Conversations/{conv.sid}/Messages/{msg.sid}",
        f"{where.base}/Conversations/{conv.sid}/Participants",
    ):
        gone = http.get(path)
        assert (gone.status_code, error_of(gone)["code"]) == (404, 20404)
    # The user stays; the membership is gone; the name and the SMS pair are free again.
    assert users("dora").fetch().identity == "dora"
    assert users("dora").user_conversations.list() == []
    again = where.conversations.create(unique_name="doomed")
    again_sms = where.conversations(again.sid).participants.create(
        messaging_binding_address="+15550001111", messaging_binding_proxy_address="+15550002222"
    )
    assert again_sms.sid != sms.sid
    assert [m.index for m in where.conversations(again.sid).messages.list()] == []
    assert where.conversations(again.sid).messages.create(body="fresh").index == 0


def test_closing_frees_the_sms_address_pair(where: Scoped) -> None:
    pair = {"messaging_binding_address": "+15557654321", "messaging_binding_proxy_address": "+15550000001"}
    first = where.conversations.create()
    where.conversations(first.sid).participants.create(**pair)
    second = where.conversations.create()
    with twilio_error(409, 50416):
        where.conversations(second.sid).participants.create(**pair)
    # An inactive conversation still holds the pair.
    where.conversations(first.sid).update(state="inactive")
    with twilio_error(409, 50416):
        where.conversations(second.sid).participants.create(**pair)
    where.conversations(first.sid).update(state="closed")
    joined = where.conversations(second.sid).participants.create(**pair)
    assert joined.messaging_binding["address"] == "+15557654321"
    # The closed conversation keeps its participant record.
    assert len(where.conversations(first.sid).participants.list()) == 1


def test_created_by_is_system(where: Scoped, twilio: V1) -> None:
    conv = where.conversations.create(friendly_name="by rest")
    where.conversations(conv.sid).participants.create(identity="cal")
    listed = twilio.services(where.service_sid).participant_conversations.list(identity="cal")
    assert [(c.conversation_sid, c.conversation_created_by) for c in listed] == [(conv.sid, "system")]
    (uc,) = twilio.services(where.service_sid).users("cal").user_conversations.list()
    assert uc.created_by == "system"


def test_unknown_conversation_everywhere(where: Scoped, http: httpx.Client) -> None:
    for ref in (CH_LIKE, "no-such-name"):
        for path in (
            f"/Conversations/{ref}",
            f"/Conversations/{ref}/Participants",
            f"/Conversations/{ref}/Messages",
        ):
            got = http.get(where.base + path)
            body = error_of(got)
            assert (got.status_code, body["code"]) == (404, 20404)
            assert body["message"] == f"The requested resource {where.base[3:]}{path} was not found"
        with twilio_error(404, 20404):
            where.conversations(ref).delete()
        with twilio_error(404, 20404):
            where.conversations(ref).participants.create(identity="x")
        with twilio_error(404, 20404):
            where.conversations(ref).messages.create(body="x")


def test_concurrent_creates_of_one_unique_name(running: Running, account: Account) -> None:
    def attempt(_: int) -> str:
        client = make_client(running.url, account).conversations.v1
        try:
            client.conversations.create(unique_name="race")
            return "created"
        except TwilioRestException as exc:
            return f"{exc.status}/{exc.code}"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(16)))
    assert outcomes.count("created") == 1
    assert set(outcomes) - {"created"} == {"409/50353"}
    twilio = make_client(running.url, account).conversations.v1
    assert [c.unique_name for c in twilio.conversations.list()] == ["race"]


def test_webhook_header_is_accepted(where: Scoped) -> None:
    conv = where.conversations.create(x_twilio_webhook_enabled="true", friendly_name="hooked")
    part = where.conversations(conv.sid).participants.create(x_twilio_webhook_enabled="true", identity="hook")
    msg = where.conversations(conv.sid).messages.create(x_twilio_webhook_enabled="true", author="hook", body="hi")
    assert msg.participant_sid == part.sid
    assert where.conversations(conv.sid).update(x_twilio_webhook_enabled="true", friendly_name="x").friendly_name == "x"
    assert where.conversations(conv.sid).messages(msg.sid).delete(x_twilio_webhook_enabled="true") is True
    assert where.conversations(conv.sid).participants(part.sid).delete(x_twilio_webhook_enabled="true") is True
    assert where.conversations(conv.sid).delete(x_twilio_webhook_enabled="true") is True
