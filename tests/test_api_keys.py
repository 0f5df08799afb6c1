"""API keys (SK…): Twilio's 2010 Keys resource through twilio-python's `client.api`, a key as the
HTTP Basic credential of every route, and `chinwag keys create`, on both engines."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime

import httpx
import pytest
from twilio.base.exceptions import TwilioException
from twilio.rest import Client
from twilio.rest.api.v2010.account import AccountContext

from chinwag import bootstrap
from tests.conftest import Account, Running, error_of
from tests.support.expect import twilio_error


def api_client(url: str, username: str, password: str, account_sid: str | None = None) -> Client:
    client = Client(username, password, account_sid)
    client.api.base_url = url
    client.conversations.base_url = url
    return client


@pytest.fixture
def client(running: Running, account: Account) -> Client:
    return api_client(running.url, account.sid, account.token)


@pytest.fixture
def acct(client: Client) -> AccountContext:
    """`client.api.v2010.account`: the Keys and NewKeys lists of the client's account."""
    return client.api.v2010.account


@contextmanager
def list_error(status: int, code: int) -> Iterator[None]:
    """twilio-python turns a failed list page into a plain TwilioException carrying the response."""
    with pytest.raises(TwilioException) as caught:
        yield
    response = caught.value.args[1]
    assert (response.status_code, json.loads(response.text)["code"]) == (status, code)


def keys_url(running: Running, account_sid: str, sid: str | None = None) -> str:
    base = f"{running.url}/2010-04-01/Accounts/{account_sid}/Keys"
    return base + (".json" if sid is None else f"/{sid}.json")


def test_create_fetch_list_update_delete(acct: AccountContext, running: Running, account: Account) -> None:
    made = acct.new_keys.create(friendly_name="deploy bot")
    assert made.sid is not None and made.sid.startswith("SK") and len(made.sid) == 34
    assert made.friendly_name == "deploy bot"
    assert made.secret and len(made.secret) >= 32
    assert made.date_created is not None and made.date_created.tzinfo is not None  # RFC 2822, parsed by the SDK
    assert made.date_updated == made.date_created

    fetched = acct.keys(made.sid).fetch()
    assert (fetched.sid, fetched.friendly_name, fetched.date_created) == (made.sid, "deploy bot", made.date_created)
    assert [k.sid for k in acct.keys.list()] == [made.sid]

    renamed = acct.keys(made.sid).update(friendly_name="renamed")
    assert renamed.friendly_name == "renamed"
    assert acct.keys(made.sid).fetch().friendly_name == "renamed"

    assert acct.keys(made.sid).delete() is True
    assert acct.keys.list() == []
    with twilio_error(404, 20404, f"/2010-04-01/Accounts/{account.sid}/Keys/{made.sid}.json"):
        acct.keys(made.sid).fetch()
    with twilio_error(404, 20404):
        acct.keys(made.sid).delete()


def test_the_secret_is_answered_once(acct: AccountContext, running: Running, account: Account) -> None:
    made = acct.new_keys.create()
    assert made.friendly_name is None
    auth = (account.sid, account.token)
    one = httpx.get(keys_url(running, account.sid, made.sid), auth=auth)
    listed = httpx.get(keys_url(running, account.sid), auth=auth)
    updated = httpx.post(keys_url(running, account.sid, made.sid), data={"FriendlyName": "x"}, auth=auth)
    for response in (one, listed, updated):
        assert response.status_code == 200
        assert made.secret is not None and made.secret not in response.text
        assert "secret" not in response.text
    assert set(one.json()) == {"sid", "friendly_name", "date_created", "date_updated"}
    # The 2010 API's dates: RFC 2822 with a numeric zone.
    assert one.json()["date_created"].endswith(" +0000")
    assert parsedate_to_datetime(one.json()["date_created"]) == made.date_created


def test_paging_the_2010_way(acct: AccountContext, running: Running, account: Account) -> None:
    made = [acct.new_keys.create(friendly_name=f"k{n}").sid for n in range(5)]
    assert [k.sid for k in acct.keys.list(page_size=2)] == made  # the SDK follows next_page_uri
    assert [k.sid for k in acct.keys.list(limit=3)] == made[:3]
    body = httpx.get(keys_url(running, account.sid) + "?PageSize=2", auth=(account.sid, account.token)).json()
    path = f"/2010-04-01/Accounts/{account.sid}/Keys.json"
    assert body["first_page_uri"] == f"{path}?PageSize=2&Page=0"
    assert body["uri"] == f"{path}?PageSize=2&Page=0"
    assert body["next_page_uri"].startswith(f"{path}?PageSize=2&Page=1&PageToken=")
    assert (body["page"], body["page_size"], body["start"], body["end"]) == (0, 2, 0, 1)
    assert body["previous_page_uri"] is None
    second = httpx.get(running.url + body["next_page_uri"], auth=(account.sid, account.token)).json()
    assert [k["sid"] for k in second["keys"]] == made[2:4]
    assert (second["page"], second["start"], second["end"]) == (1, 2, 3)
    assert second["previous_page_uri"] is not None
    bad = httpx.get(keys_url(running, account.sid) + "?PageToken=nope", auth=(account.sid, account.token))
    assert (bad.status_code, error_of(bad)["code"]) == (400, 20001)


def test_bad_input_changes_nothing(acct: AccountContext, running: Running, account: Account) -> None:
    with twilio_error(400, 20001, "FriendlyName"):
        acct.new_keys.create(friendly_name="x" * 65)
    assert acct.keys.list() == []
    kept = acct.new_keys.create(friendly_name="y" * 64)
    with twilio_error(400, 20001):
        acct.keys(kept.sid).update(friendly_name="z" * 65)
    assert acct.keys(kept.sid).fetch().friendly_name == "y" * 64
    for sid in ("SK" + "0" * 32, "nope", "SK%00"):
        response = httpx.get(keys_url(running, account.sid, sid), auth=(account.sid, account.token))
        assert (response.status_code, error_of(response)["code"]) == (404, 20404), sid
    # `{Sid}.json` needs a SID before the suffix, and the suffix itself.
    for path in ("/Keys/.json", f"/Keys/{kept.sid}", f"/Keys/{kept.sid}.xml"):
        response = httpx.get(
            f"{running.url}/2010-04-01/Accounts/{account.sid}{path}", auth=(account.sid, account.token)
        )
        assert (response.status_code, error_of(response)["code"]) == (404, 20404), path
    wrong = httpx.put(keys_url(running, account.sid, kept.sid), auth=(account.sid, account.token))
    assert (wrong.status_code, error_of(wrong)["code"]) == (405, 20004)


def test_a_key_authenticates_every_route_as_its_account(
    acct: AccountContext, running: Running, account: Account
) -> None:
    made = acct.new_keys.create(friendly_name="app")
    assert made.sid is not None and made.secret is not None
    keyed = api_client(running.url, made.sid, made.secret, account.sid).conversations.v1
    user = keyed.users.create(identity="via-key")
    conversation = keyed.conversations.create(friendly_name="keyed")
    keyed.conversations(conversation.sid).participants.create(identity="via-key")
    keyed.conversations(conversation.sid).messages.create(author="via-key", body="hello")
    assert [u.sid for u in keyed.users.list()] == [user.sid]
    # The same account's data, seen with the auth token.
    token_side = api_client(running.url, account.sid, account.token).conversations.v1
    assert token_side.users(user.sid).fetch().identity == "via-key"
    assert user.account_sid == account.sid
    assert [m.body for m in token_side.conversations(conversation.sid).messages.list()] == ["hello"]


def test_a_key_is_its_accounts_only(acct: AccountContext, running: Running, account: Account) -> None:
    made = acct.new_keys.create()
    assert made.sid is not None and made.secret is not None
    other_sid, other_token = bootstrap.create_account(running.database_url)
    api_client(running.url, other_sid, other_token).conversations.v1.users.create(identity="other-user")
    # Constructed with the other account's SID, the key still acts as its own account.
    keyed = api_client(running.url, made.sid, made.secret, other_sid)
    assert keyed.conversations.v1.users.list() == []
    with twilio_error(404, 20404):
        keyed.conversations.v1.users("other-user").fetch()
    # The other account's Keys: a key manages no keys at all; the account's token, not another's.
    with list_error(403, 20003):
        keyed.api.v2010.account.keys.list()
    with list_error(404, 20404):
        api_client(running.url, account.sid, account.token).api.v2010.accounts(other_sid).keys.list()
    with twilio_error(404, 20404):
        api_client(running.url, account.sid, account.token).api.v2010.accounts(other_sid).new_keys.create()
    other_keys = api_client(running.url, other_sid, other_token).api.v2010.account.keys
    assert other_keys.list() == []
    with twilio_error(404, 20404):
        other_keys(made.sid).fetch()  # a key is found only under its own account
    with twilio_error(404, 20404):
        other_keys(made.sid).delete()
    assert [k.sid for k in acct.keys.list()] == [made.sid]


def test_keys_cannot_manage_keys(acct: AccountContext, running: Running, account: Account) -> None:
    made = acct.new_keys.create()
    assert made.sid is not None and made.secret is not None
    keyed = api_client(running.url, made.sid, made.secret, account.sid).api.v2010.account
    for attempt in (keyed.new_keys.create, keyed.keys(made.sid).fetch, keyed.keys(made.sid).delete):
        with twilio_error(403, 20003, "API keys cannot manage API keys"):
            attempt()
    with list_error(403, 20003):
        keyed.keys.list()
    assert [k.sid for k in acct.keys.list()] == [made.sid]


def test_wrong_secret_and_deleted_key(acct: AccountContext, running: Running, account: Account) -> None:
    made = acct.new_keys.create()
    assert made.sid is not None and made.secret is not None
    url = running.url + "/v1/Users"
    assert httpx.get(url, auth=(made.sid, made.secret)).status_code == 200
    for auth in ((made.sid, "0" * 32), (made.sid, ""), ("SK" + "0" * 32, made.secret), (made.sid.upper(), made.secret)):
        response = httpx.get(url, auth=auth)
        assert response.status_code == 401, auth
        assert error_of(response)["message"] == "Authentication Error - invalid credentials", auth
    # The secret belongs to the key, not to the account.
    response = httpx.get(url, auth=(account.sid, made.secret))
    assert error_of(response)["message"] == "Authentication Error - invalid credentials"
    acct.keys(made.sid).delete()
    response = httpx.get(url, auth=(made.sid, made.secret))  # at once (one worker here)
    assert (response.status_code, error_of(response)["code"]) == (401, 20003)
    assert httpx.get(url, auth=(account.sid, account.token)).status_code == 200


def test_cli_keys_create(running: Running, account: Account) -> None:
    chinwag = [sys.executable, "-m", "chinwag"]
    done = subprocess.run(
        [*chinwag, "keys", "create", "--database", running.database_url, "--account", account.sid],
        capture_output=True,
        text=True,
        check=True,
    )
    sid, secret = done.stdout.split()
    assert sid.startswith("SK") and len(sid) == 34
    assert httpx.get(running.url + "/v1/Users", auth=(sid, secret)).status_code == 200
    for bad in ("AC" + "0" * 32, "nope"):
        failed = subprocess.run(
            [*chinwag, "keys", "create", "--database", running.database_url, "--account", bad],
            capture_output=True,
            text=True,
        )
        assert failed.returncode == 1, failed
        assert "Traceback" not in failed.stderr and bad in failed.stderr
