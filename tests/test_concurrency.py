"""Writes that must not race, against two server processes on one database (real contention).

Message indexes, one participant per identity, one user per identity and the maintained unread
counts must all be right by construction, whatever the interleaving.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException

from chinwag import bootstrap
from tests.conftest import Account, Running, make_client


def fresh(multi_running: Running) -> tuple[Account, httpx.Client]:
    sid, token = bootstrap.create_account(multi_running.database_url)
    account = Account(sid, token)
    return account, httpx.Client(base_url=multi_running.url, auth=(sid, token), timeout=30)


def test_concurrent_posts_get_distinct_consecutive_indexes(multi_running: Running) -> None:
    account, http = fresh(multi_running)
    conv = http.post("/v1/Conversations", data={"UniqueName": "race"}).json()

    def post(n: int) -> int:
        with httpx.Client(base_url=multi_running.url, auth=(account.sid, account.token), timeout=30) as own:
            response = own.post(f"/v1/Conversations/{conv['sid']}/Messages", data={"Body": str(n)})
            assert response.status_code == 201, response.text
            return int(response.json()["index"])

    with ThreadPoolExecutor(12) as pool:
        indexes = list(pool.map(post, range(120)))
    assert sorted(indexes) == list(range(120))
    twilio = make_client(multi_running.url, account).conversations.v1
    listed = [m.index for m in twilio.conversations("race").messages.stream(page_size=50)]
    assert listed == list(range(120))


def test_concurrent_adds_of_one_identity(multi_running: Running) -> None:
    account, http = fresh(multi_running)
    conv = http.post("/v1/Conversations").json()

    def add(_: int) -> str:
        twilio = make_client(multi_running.url, account).conversations.v1
        try:
            twilio.conversations(conv["sid"]).participants.create(identity="twin")
            return "created"
        except TwilioRestException as exc:
            return f"{exc.status}/{exc.code}"

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(add, range(20)))
    assert outcomes.count("created") == 1
    assert set(outcomes) - {"created"} == {"409/50433"}
    users = http.get("/v1/Users").json()["users"]
    assert [u["identity"] for u in users] == ["twin"]


def test_concurrent_joins_create_one_user(multi_running: Running) -> None:
    account, http = fresh(multi_running)
    convs = [http.post("/v1/Conversations").json()["sid"] for _ in range(12)]

    def join(sid: str) -> int:
        with httpx.Client(base_url=multi_running.url, auth=(account.sid, account.token), timeout=30) as own:
            return own.post(f"/v1/Conversations/{sid}/Participants", data={"Identity": "newcomer"}).status_code

    with ThreadPoolExecutor(12) as pool:
        assert set(pool.map(join, convs)) == {201}
    users = http.get("/v1/Users").json()["users"]
    assert [u["identity"] for u in users] == ["newcomer"]
    listed = http.get("/v1/Users/newcomer/Conversations", params={"PageSize": 50}).json()["conversations"]
    assert sorted(c["conversation_sid"] for c in listed) == sorted(convs)


@pytest.mark.parametrize("via", ["user_conversation", "participant"])
def test_unread_counts_stay_exact_under_concurrent_writers(multi_running: Running, via: str) -> None:
    """Horizon moves (through either resource) racing message posts and deletes. A count that
    drifts stays wrong until the horizon moves again, so the end state shows it; several
    conversations give the interleavings more chances."""
    account, http = fresh(multi_running)
    for round_ in range(3):
        _race_readers_and_writers(multi_running, account, http, via, seed=round_)


def _race_readers_and_writers(
    multi_running: Running, account: Account, http: httpx.Client, via: str, seed: int
) -> None:
    conv = http.post("/v1/Conversations").json()["sid"]
    readers = [f"reader{n}" for n in range(3)]
    participant_of = {}
    for identity in readers:
        made = http.post(f"/v1/Conversations/{conv}/Participants", data={"Identity": identity})
        participant_of[identity] = made.json()["sid"]
    posted: list[str] = []
    for n in range(20):
        posted.append(http.post(f"/v1/Conversations/{conv}/Messages", data={"Body": str(n)}).json()["sid"])
    rng = random.Random(seed)
    plan: list[tuple[str, str]] = []
    for n in range(60):
        plan.append(("post", str(n)))
    for sid in rng.sample(posted, 10):
        plan.append(("delete", sid))
    for n in range(45):
        plan.append(("read", f"{readers[n % 3]}:{rng.randint(-1, 70)}"))
    rng.shuffle(plan)

    def act(step: tuple[str, str]) -> int:
        kind, arg = step
        with httpx.Client(base_url=multi_running.url, auth=(account.sid, account.token), timeout=30) as own:
            if kind == "post":
                return own.post(f"/v1/Conversations/{conv}/Messages", data={"Body": arg}).status_code
            if kind == "delete":
                return own.delete(f"/v1/Conversations/{conv}/Messages/{arg}").status_code
            identity, horizon = arg.split(":")
            if via == "participant":
                url = f"/v1/Conversations/{conv}/Participants/{participant_of[identity]}"
            else:
                url = f"/v1/Users/{identity}/Conversations/{conv}"
            return own.post(url, data={"LastReadMessageIndex": horizon}).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(act, plan))
    assert set(statuses) <= {200, 201, 204}, statuses

    indexes = []
    page_url: str | None = f"/v1/Conversations/{conv}/Messages?PageSize=100"
    while page_url:
        page = http.get(page_url).json()
        indexes += [m["index"] for m in page["messages"]]
        page_url = page["meta"]["next_page_url"]
    assert len(indexes) == 70
    for identity in readers:
        uc = http.get(f"/v1/Users/{identity}/Conversations/{conv}").json()
        horizon = uc["last_read_message_index"]
        if horizon is None:
            assert uc["unread_messages_count"] is None
        else:
            assert uc["unread_messages_count"] == sum(1 for i in indexes if i > horizon), (identity, horizon)


def test_joins_racing_the_users_deletion_never_fail_with_500(multi_running: Running) -> None:
    """Adding a participant by identity reads the user, then inserts a row referring to it; a
    concurrent delete of that user can win in between (PostgreSQL). That is a 409/20409 (nothing
    written, docs/decisions.md), never a 500, and never a participant without its user."""
    account, http = fresh(multi_running)
    conv = http.post("/v1/Conversations").json()["sid"]
    identities = [f"fleeting-{n}" for n in range(100)]
    for identity in identities:
        assert http.post("/v1/Users", data={"Identity": identity}).status_code == 201

    def act(step: tuple[str, str]) -> tuple[str, int, int | None]:
        kind, identity = step
        with httpx.Client(base_url=multi_running.url, auth=(account.sid, account.token), timeout=30) as own:
            if kind == "join":
                response = own.post(f"/v1/Conversations/{conv}/Participants", data={"Identity": identity})
            else:
                response = own.delete(f"/v1/Users/{identity}")
            code = response.json().get("code") if response.status_code >= 400 else None
            return kind, response.status_code, code

    plan = [(kind, identity) for identity in identities for kind in ("join", "delete")]
    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(act, plan))
    joins = {(status, code) for kind, status, code in outcomes if kind == "join"}
    deletes = {(status, code) for kind, status, code in outcomes if kind == "delete"}
    assert joins <= {(201, None), (409, 20409)}, joins
    assert deletes <= {(204, None)}, deletes
    # Every participant left refers to a user that exists (the join recreated it, or came after).
    participants = http.get(f"/v1/Conversations/{conv}/Participants", params={"PageSize": 100}).json()
    for p in participants["participants"]:
        assert http.get(f"/v1/Users/{p['identity']}").status_code == 200
