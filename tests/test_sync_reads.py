"""Sync reads projected from chinwag's tables (realtime/sync_reads.py): paging rules, object
envelopes and access checks, on a running server's database after REST set-up, on both engines."""

from __future__ import annotations

from typing import Any

import pytest
from twilio.rest.conversations.v1 import V1

from chinwag.domain import sync_events
from chinwag.realtime.sync_reads import BadQuery, Forbidden, NotFound, check_access
from chinwag.storage.db import Database
from chinwag.storage.repos import sync_projection as reads
from tests.conftest import Account, Running
from tests.support.realtime_log import Grant, events, on_database, read_items, read_object


def _indexes(page: dict[str, Any]) -> list[int]:
    return [i["index"] for i in page["items"]]


def _meta(page: dict[str, Any]) -> tuple[str | None, str | None]:
    return page["meta"]["previous_token"], page["meta"]["next_token"]


@pytest.fixture
def room(twilio: V1, running: Running, account: Account) -> tuple[str, Grant]:
    """A conversation with alice in it and five messages (indexes 0..4)."""
    conv = twilio.conversations.create()
    conv.participants.create(identity="alice")
    for n in range(5):
        conv.messages.create(author="alice", body=f"m{n}")
    return conv.sid, Grant(account.sid, "alice", conv.chat_service_sid)


def test_list_paging_both_ways(running: Running, room: tuple[str, Grant]) -> None:
    sid, grant = room
    url, msgs = running.database_url, f"{sid}.msgs"
    assert _indexes(read_items(url, grant, msgs)) == [0, 1, 2, 3, 4]
    assert _meta(read_items(url, grant, msgs)) == (None, None)

    first = read_items(url, grant, msgs, PageSize="2")
    assert _indexes(first) == [0, 1] and _meta(first) == (None, "true")
    middle = read_items(url, grant, msgs, PageSize="2", From="2")
    assert _indexes(middle) == [2, 3] and _meta(middle) == ("true", "true")
    last = read_items(url, grant, msgs, PageSize="2", From="4")
    assert _indexes(last) == [4] and _meta(last) == ("true", None)
    beyond = read_items(url, grant, msgs, From="9")
    assert _indexes(beyond) == [] and _meta(beyond) == ("true", None)

    newest = read_items(url, grant, msgs, Order="desc", PageSize="2")
    assert _indexes(newest) == [4, 3] and _meta(newest) == (None, "true")
    older = read_items(url, grant, msgs, Order="desc", PageSize="2", From="1")
    assert _indexes(older) == [1, 0] and _meta(older) == ("true", None)
    exact = read_items(url, grant, msgs, PageSize="2", From="3", Order="desc")
    assert _indexes(exact) == [3, 2] and _meta(exact) == ("true", "true")

    one = read_items(url, grant, msgs, Index="3")
    assert _indexes(one) == [3] and one["items"][0]["data"]["text"] == "m3"
    assert read_items(url, grant, msgs, Index="7")["items"] == []
    assert _indexes(read_items(url, grant, msgs, PageSize="5000")) == [0, 1, 2, 3, 4]  # capped, not refused


@pytest.mark.parametrize(
    "query",
    [{"Order": "sideways"}, {"PageSize": "0"}, {"PageSize": "two"}, {"Index": "-1"}, {"From": "x"}],
)
def test_bad_queries_are_refused(running: Running, room: tuple[str, Grant], query: dict[str, str]) -> None:
    sid, grant = room
    with pytest.raises(BadQuery) as refused:
        read_items(running.database_url, grant, f"{sid}.msgs", **query)
    assert refused.value.status == 400


def test_map_paging_by_key(twilio: V1, running: Running, room: tuple[str, Grant]) -> None:
    sid, grant = room
    for who in ("bob", "carol", "dan"):
        twilio.conversations(sid).participants.create(identity=who)
    url, roster = running.database_url, f"{sid}.roster"
    keys = [i["key"] for i in read_items(url, grant, roster)["items"]]
    assert keys == sorted(keys) and len(keys) == 4  # keys sort as strings: the client's order
    page = read_items(url, grant, roster, PageSize="2", From=keys[1])
    assert [i["key"] for i in page["items"]] == keys[1:3] and _meta(page) == ("true", "true")
    back = read_items(url, grant, roster, PageSize="3", Order="desc")
    assert [i["key"] for i in back["items"]] == keys[::-1][:3] and _meta(back) == (None, "true")
    by_key = {i["key"]: i["data"]["identity"] for i in read_items(url, grant, roster)["items"]}
    assert sorted(by_key.values()) == ["alice", "bob", "carol", "dan"]
    found = read_items(url, grant, roster, Key=keys[2])["items"]
    assert len(found) == 1 and found[0]["key"] == keys[2] and found[0]["data"]["identity"] == by_key[keys[2]]
    assert read_items(url, grant, roster, Key="MB" + "0" * 32)["items"] == []


def test_object_envelopes(twilio: V1, running: Running, room: tuple[str, Grant]) -> None:
    sid, grant = room
    url = running.database_url
    doc = read_object(url, grant, f"{sid}.doc")
    assert doc["sid"] == f"{sid}.doc" and doc["data"]["lastMessage"]["index"] == 4
    assert doc["last_event_id"] > 0 and doc["revision"] == str(doc["last_event_id"])
    msgs = read_object(url, grant, f"{sid}.msgs")
    assert msgs["links"]["items"] == f"https://cds.us1.twilio.com/v3/Lists/{sid}.msgs/Items"
    assert "items" not in msgs and "data" not in msgs
    alice = twilio.users("alice").fetch()
    info = read_object(url, grant, f"{alice.sid}.info", include_items=True)
    assert [i["key"] for i in info["items"]] == ["attributes", "friendlyName"]  # reachability off
    convs = read_object(url, grant, f"{alice.sid}.convs", include_items=True)
    assert [i["key"] for i in convs["items"]] == [sid]
    assert convs["items"][0]["data"]["status"] == "joined" and convs["last_event_id"] > 0
    assert _meta(convs) == (None, None)


def test_access(twilio: V1, running: Running, account: Account, room: tuple[str, Grant]) -> None:
    sid, grant = room
    url = running.database_url
    twilio.users.create(identity="mallory")
    mallory = Grant(account.sid, "mallory", grant.service_sid)
    for kind in ("doc", "msgs", "roster"):
        with pytest.raises(Forbidden):
            read_object(url, mallory, f"{sid}.{kind}")  # not a member
    with pytest.raises(Forbidden):
        read_items(url, Grant(account.sid, "nobody-yet", grant.service_sid), f"{sid}.msgs")
    alice = twilio.users("alice").fetch()
    with pytest.raises(Forbidden):
        read_items(url, mallory, f"{alice.sid}.convs")  # someone else's conversations
    assert read_items(url, mallory, f"{alice.sid}.info")["items"]  # any user's info, same service

    assert on_database(url, lambda db: check_access(db, grant, f"{sid}.roster")) == "map"
    assert on_database(url, lambda db: check_access(db, grant, f"{alice.sid}.convs")) == "map"
    with pytest.raises(Forbidden):
        on_database(url, lambda db: check_access(db, mallory, f"{sid}.msgs"))
    stranger = Grant("AC" + "1" * 32, "alice", grant.service_sid)
    with pytest.raises(NotFound) as gone:
        read_object(url, stranger, f"{sid}.doc")
    assert (gone.value.status, gone.value.code) == (404, 54100)
    with pytest.raises(NotFound):
        read_items(url, stranger, f"{alice.sid}.info")
    elsewhere = twilio.services.create(friendly_name="other")
    with pytest.raises(NotFound):
        read_items(url, Grant(account.sid, "alice", elsewhere.sid), f"{alice.sid}.info")  # another service's user
    for bogus in ("CH1.doc", f"{sid}.nope", f"{alice.sid}.doc", "nonsense", f"{sid}"):
        with pytest.raises(NotFound):
            read_object(url, grant, bogus)
    with pytest.raises(NotFound):
        read_items(url, grant, f"{sid}.doc")  # a document has no items


def test_reachability_where_the_service_enables_it(twilio: V1, running: Running, room: tuple[str, Grant]) -> None:
    _, grant = room
    url = running.database_url
    alice = twilio.users("alice").fetch()
    twilio.services(grant.service_sid).configuration().update(reachability_enabled=True)
    items = read_object(url, grant, f"{alice.sid}.info", include_items=True)["items"]
    assert [i["key"] for i in items] == ["attributes", "friendlyName", "reachability"]
    assert items[2]["data"] == {"online": False, "notifiable": False}

    async def online(db: Database) -> None:  # what the socket does when alice's first connection opens
        async with db.write() as tx:
            user = await reads.user_by_sid(tx, grant.account_sid, grant.service_sid, alice.sid)
            assert user is not None
            await sync_events.reachability(tx, user, True, False, "2026-01-01T00:00:00Z")

    on_database(url, online)
    shown = read_items(url, grant, f"{alice.sid}.info", Key="reachability")["items"]
    assert shown[0]["data"] == {"online": True, "notifiable": False}
    assert shown[0]["last_event_id"] == events(url, grant.account_sid, f"{alice.sid}.info")[-1].id
