"""List paging (decisions.md #1-#3): Twilio's `meta` block, PageSize/Page/PageToken, keyset tokens
that stay stable while rows come and go, and previous pages, through twilio-python and raw HTTP."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from twilio.rest.conversations.v1 import V1

from tests.conftest import Account, Running, error_of, make_client

META_KEYS = {"page", "page_size", "first_page_url", "previous_page_url", "url", "next_page_url", "key"}


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def make_users(twilio: V1, count: int, prefix: str = "u") -> list[str]:
    return [twilio.users.create(identity=f"{prefix}{i:03d}").sid for i in range(count)]


def get_ok(http: httpx.Client, url: str) -> dict:  # type: ignore[type-arg]
    response = http.get(url)
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body


def test_meta_block_on_the_first_page(http: httpx.Client, running: Running) -> None:
    body = get_ok(http, "/v1/Roles")
    assert set(body) == {"roles", "meta"}
    assert len(body["roles"]) == 4
    assert body["meta"] == {
        "page": 0,
        "page_size": 50,
        "first_page_url": f"{running.url}/v1/Roles?PageSize=50&Page=0",
        "previous_page_url": None,
        "url": f"{running.url}/v1/Roles?PageSize=50&Page=0",
        "next_page_url": None,
        "key": "roles",
    }
    empty = get_ok(http, "/v1/Users")
    assert empty["users"] == []
    assert empty["meta"]["key"] == "users" and empty["meta"]["next_page_url"] is None
    services = get_ok(http, "/v1/Services?PageSize=7")
    assert services["meta"]["key"] == "services"
    assert services["meta"]["url"] == f"{running.url}/v1/Services?PageSize=7&Page=0"


def test_meta_urls_mirror_the_service_url_form(http: httpx.Client, running: Running) -> None:
    sid = http.post("/v1/Services", data={"FriendlyName": "paged"}).json()["sid"]
    body = get_ok(http, f"/v1/Services/{sid}/Roles?PageSize=3")
    base = f"{running.url}/v1/Services/{sid}/Roles"
    assert body["meta"]["first_page_url"] == f"{base}?PageSize=3&Page=0"
    assert body["meta"]["url"] == f"{base}?PageSize=3&Page=0"
    next_url = body["meta"]["next_page_url"]
    assert next_url.startswith(f"{base}?PageSize=3&Page=1&PageToken=")
    second = get_ok(http, next_url)
    assert [r["friendly_name"] for r in second["roles"]] == ["channel user"]
    assert second["meta"]["next_page_url"] is None
    assert second["meta"]["url"] == next_url


def test_walk_forward_and_back_with_raw_http(twilio: V1, http: httpx.Client, running: Running) -> None:
    sids = make_users(twilio, 5)
    first = get_ok(http, "/v1/Users?PageSize=2")
    assert [u["sid"] for u in first["users"]] == sids[:2]
    second = get_ok(http, first["meta"]["next_page_url"])
    assert [u["sid"] for u in second["users"]] == sids[2:4]
    assert second["meta"]["page"] == 1
    assert second["meta"]["first_page_url"] == first["meta"]["first_page_url"]
    third = get_ok(http, second["meta"]["next_page_url"])
    assert [u["sid"] for u in third["users"]] == sids[4:]
    assert third["meta"]["page"] == 2 and third["meta"]["next_page_url"] is None

    for meta in (second["meta"], third["meta"]):
        for name in ("url", "next_page_url", "previous_page_url", "first_page_url"):
            if meta[name] is not None:
                assert meta[name].startswith(f"{running.url}/v1/Users?"), meta[name]
                assert query_of(meta[name])["PageSize"] == ["2"]

    # previous_page_url, followed, gives the pages walked before, in list order.
    back = get_ok(http, third["meta"]["previous_page_url"])
    assert [u["sid"] for u in back["users"]] == sids[2:4]
    assert back["meta"]["page"] == 1
    back_again = get_ok(http, back["meta"]["previous_page_url"])
    assert [u["sid"] for u in back_again["users"]] == sids[:2]
    assert back_again["meta"]["page"] == 0 and back_again["meta"]["previous_page_url"] is None
    # ...and forward again from a page reached backwards.
    forward = get_ok(http, back_again["meta"]["next_page_url"])
    assert [u["sid"] for u in forward["users"]] == sids[2:4]


def test_sdk_pages_next_and_previous(twilio: V1) -> None:
    sids = make_users(twilio, 7)
    page = twilio.users.page(page_size=3)
    assert [u.sid for u in page] == sids[:3]
    page2 = page.next_page()
    assert [u.sid for u in page2] == sids[3:6]
    page3 = page2.next_page()
    assert [u.sid for u in page3] == sids[6:]
    assert page3.next_page() is None
    assert [u.sid for u in page3.previous_page()] == sids[3:6]
    assert [u.sid for u in page2.previous_page()] == sids[:3]
    assert page.previous_page() is None
    assert [u.sid for u in twilio.users.stream(page_size=2)] == sids
    assert [u.sid for u in twilio.users.list(limit=4)] == sids[:4]


def test_services_and_roles_lists_page_too(twilio: V1, http: httpx.Client) -> None:
    default = twilio.configuration().fetch().default_chat_service_sid
    made = [twilio.services.create(friendly_name=f"s{i}").sid for i in range(3)]
    assert [s.sid for s in twilio.services.stream(page_size=1)] == [default, *made]
    assert [s.sid for s in twilio.services.list(page_size=2)] == [default, *made]
    names = [r.friendly_name for r in twilio.services(made[0]).roles.stream(page_size=1)]
    assert names == ["service admin", "service user", "channel admin", "channel user"]
    services_next = get_ok(http, "/v1/Services?PageSize=1")["meta"]["next_page_url"]
    token = query_of(services_next)["PageToken"][0]
    response = http.get(f"/v1/Roles?PageSize=1&PageToken={token}")
    assert (response.status_code, error_of(response)["code"]) == (400, 20001)


def test_page_size_bounds(twilio: V1, http: httpx.Client) -> None:
    sids = make_users(twilio, 3)
    assert len(get_ok(http, "/v1/Users?PageSize=1")["users"]) == 1
    full = get_ok(http, "/v1/Users?PageSize=1000")
    assert full["meta"]["page_size"] == 1000 and len(full["users"]) == 3
    # Above 1000: clamped, and the effective size is what meta and its links report.
    clamped = get_ok(http, "/v1/Users?PageSize=5000")
    assert clamped["meta"]["page_size"] == 1000
    assert query_of(clamped["meta"]["url"])["PageSize"] == ["1000"]
    assert [u["sid"] for u in clamped["users"]] == sids
    huge = get_ok(http, "/v1/Users?PageSize=99999999999999999999999")
    assert huge["meta"]["page_size"] == 1000
    # list(limit=200) without page_size sends PageSize=200; it must just work.
    assert [u.sid for u in twilio.users.list(limit=200)] == sids

    for bad in ("0", "-1", "abc", "1.5", "1e3", "0x10", "1_0", "%205", "-99999999999999999999"):
        response = http.get(f"/v1/Users?PageSize={bad}")
        assert (response.status_code, error_of(response)["code"]) == (400, 20001), bad
        assert "PageSize" in error_of(response)["message"]
    # An empty PageSize is the default.
    assert get_ok(http, "/v1/Users?PageSize=")["meta"]["page_size"] == 50


def test_page_is_echoed_only(twilio: V1, http: httpx.Client) -> None:
    sids = make_users(twilio, 3)
    body = get_ok(http, "/v1/Users?PageSize=2&Page=7")
    # No token: the first page, whatever Page says; Page only shows up in meta.
    assert [u["sid"] for u in body["users"]] == sids[:2]
    assert body["meta"]["page"] == 7
    assert query_of(body["meta"]["url"])["Page"] == ["7"]
    assert query_of(body["meta"]["next_page_url"])["Page"] == ["8"]
    assert query_of(body["meta"]["first_page_url"])["Page"] == ["0"]
    for bad in ("-1", "x", "1.0"):
        response = http.get(f"/v1/Users?Page={bad}")
        assert (response.status_code, error_of(response)["code"]) == (400, 20001), bad


def test_foreign_and_tampered_tokens_are_refused(twilio: V1, http: httpx.Client) -> None:
    make_users(twilio, 3)
    users_next = get_ok(http, "/v1/Users?PageSize=1")["meta"]["next_page_url"]
    token = query_of(users_next)["PageToken"][0]
    assert get_ok(http, f"/v1/Users?PageSize=1&PageToken={token}")["users"]

    def refused(url: str) -> None:
        response = http.get(url)
        assert (response.status_code, error_of(response)["code"]) == (400, 20001), url

    # A token of the Users list on the Roles list, and on another service's Users list.
    refused(f"/v1/Roles?PageSize=1&PageToken={token}")
    other = twilio.services.create(friendly_name="other")
    twilio.services(other.sid).users.create(identity="x")
    refused(f"/v1/Services/{other.sid}/Users?PageSize=1&PageToken={token}")
    # The same list through its long URL form accepts it.
    default = twilio.configuration().fetch().default_chat_service_sid
    assert get_ok(http, f"/v1/Services/{default}/Users?PageSize=1&PageToken={token}")["users"]
    # Tampered: a digit of the key, a digit of the checksum, the direction; and junk.
    key_edit = token[:2] + ("9" if token[2] != "9" else "8") + token[3:]
    check_edit = token[:-1] + ("0" if token[-1] != "0" else "1")
    direction_edit = ("PB" if token.startswith("PA") else "PA") + token[2:]
    for bad in (
        key_edit,
        check_edit,
        direction_edit,
        "garbage",
        "PA1",
        token + "0",
        "PA99999999999999999999_000000000000",
    ):
        refused(f"/v1/Users?PageSize=1&PageToken={bad}")


def test_a_next_page_emptied_meanwhile(twilio: V1, http: httpx.Client) -> None:
    sids = make_users(twilio, 3)
    first = get_ok(http, "/v1/Users?PageSize=2")
    # The row that made a next page exist goes away before the next page is read.
    twilio.users(sids[2]).delete()
    empty = get_ok(http, first["meta"]["next_page_url"])
    assert empty["users"] == [] and empty["meta"]["next_page_url"] is None
    assert empty["meta"]["url"] == first["meta"]["next_page_url"]
    # The same link, read later, serves what was added after the page it came from.
    more = make_users(twilio, 1, prefix="late")
    assert [u["sid"] for u in get_ok(http, first["meta"]["next_page_url"])["users"]] == more


@pytest.mark.parametrize("page_size", [1, 3, 4])
def test_stream_is_stable_while_rows_are_added_and_removed(twilio: V1, page_size: int) -> None:
    """Between reads the list changes: rows seen and unseen are deleted (including the row the next
    token points after), new rows are added. No row comes twice; every row that existed for the
    whole walk is served."""
    sids = make_users(twilio, 12)
    doomed_unseen = {sids[5], sids[9]}
    survivors = set(sids) - doomed_unseen
    seen: list[str] = []
    added: list[str] = []
    for n, user in enumerate(twilio.users.stream(page_size=page_size), start=1):
        seen.append(user.sid)
        if n == 2:
            for sid in doomed_unseen:
                twilio.users(sid).delete()
        if n % page_size == 0:
            # The last row of the page just read: the next page's token points after it.
            twilio.users(user.sid).delete()
            survivors.discard(user.sid)
            if n <= len(sids):
                added.append(twilio.users.create(identity=f"added{n:03d}").sid)
        if n > 40:
            pytest.fail("the walk does not end")
    assert len(seen) == len(set(seen)), "a row was served twice"
    assert survivors <= set(seen), f"skipped: {survivors - set(seen)}"
    assert not doomed_unseen & set(seen)
    assert seen[: len(sids) - 2] == [s for s in sids if s not in doomed_unseen]
    # Rows added ahead of the walk's position turn up at the end, in creation order; only one added
    # after the last page was read can be missing.
    late = seen[len(sids) - 2 :]
    assert late == added[: len(late)] and len(late) >= len(added) - 1


def test_stream_with_a_concurrent_writer(running: Running, account: Account, twilio: V1) -> None:
    sids = make_users(twilio, 60, prefix="base")
    stop = threading.Event()
    deleted: set[str] = set()
    errors: list[BaseException] = []

    def writer() -> None:
        client = make_client(running.url, account).conversations.v1
        n = 0
        try:
            while not stop.is_set():
                n += 1
                made = client.users.create(identity=f"writer{n:04d}")
                if n % 2 == 0:
                    client.users(made.sid).delete()
                if n % 5 == 0:
                    victim = sids[(n * 7) % len(sids)]
                    if victim not in deleted:
                        client.users(victim).delete()
                        deleted.add(victim)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        seen = [u.sid for u in twilio.users.stream(page_size=5)]
    finally:
        stop.set()
        thread.join(30)
    assert not errors, errors
    assert len(seen) == len(set(seen)), "a row was served twice"
    missing = set(sids) - deleted - set(seen)
    assert not missing, f"rows that existed throughout were skipped: {missing}"
    base_seen = [s for s in seen if s in set(sids)]
    assert base_seen == [s for s in sids if s in set(base_seen)], "list order broken"
