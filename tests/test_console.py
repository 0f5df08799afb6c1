"""The web console (/_chinwag/console/, src/chinwag/console/): in a real headless browser (Debian's
chromium driven by Playwright for Python), and over plain HTTP for what a browser hides (status
codes, cookies, another account's pages), on both engines."""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright
from twilio.rest.conversations.v1 import V1

from chinwag import bootstrap
from chinwag.core.clock import SystemClock
from chinwag.core.sids import SidFactory
from chinwag.domain import chat_services, users
from chinwag.domain.deps import Deps
from chinwag.storage.db import open_database
from tests.conftest import ENGINES, Account, Running, make_client, serving
from tests.support.servers import Server, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CONSOLE = "/_chinwag/console/"


@pytest.fixture(scope="module", params=ENGINES)
def emulator(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with serving(request.param, tmp_path_factory.mktemp("console"), extra_args=["--emulator"]) as server:
        yield server


def new_account(running: Running) -> Account:
    # On a thread of its own: Playwright's sync API keeps an event loop running on this one.
    with ThreadPoolExecutor(1) as pool:
        return Account(*pool.submit(bootstrap.create_account, running.database_url).result())


@contextmanager
def signed_in(running: Running, account: Account) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=running.url) as client:
        response = client.post(CONSOLE + "signin", data={"AccountSid": account.sid, "AuthToken": account.token})
        assert response.status_code == 303, response.text
        yield client


def a_chat(api: V1) -> str:
    """alice and bob in one conversation with one message; bob has read it (horizon 0)."""
    chat = api.conversations.create(friendly_name="Support chat")
    for identity in ("alice", "bob"):
        chat.participants.create(identity=identity)
    chat.messages.create(author="alice", body="hello bob")
    api.users("bob").user_conversations(chat.sid).update(last_read_message_index=0)
    return str(chat.sid)


# --- over HTTP, both engines ---------------------------------------------------------------------


def test_sign_in_is_needed_and_a_wrong_token_is_refused(emulator: Running) -> None:
    account = new_account(emulator)
    with httpx.Client(base_url=emulator.url) as client:
        page = client.get(CONSOLE)
        assert page.status_code == 401 and "Sign in" in page.text
        wrong = client.post(CONSOLE + "signin", data={"AccountSid": account.sid, "AuthToken": "nope"})
        assert wrong.status_code == 401 and "do not match" in wrong.text
        assert "chinwag_console" not in wrong.headers.get("set-cookie", "")
        # A forged cookie (right shape, wrong signature) is no session.
        client.cookies.set("chinwag_console", f"{account.sid}.9999999999.{'0' * 64}", path="/_chinwag/console")
        assert client.get(CONSOLE).status_code == 401
    with signed_in(emulator, account) as client:
        cookie = client.cookies.get("chinwag_console")
        assert cookie and account.token not in cookie
        home = client.get(CONSOLE)
        assert home.status_code == 200 and account.sid in home.text
        assert client.post(CONSOLE + "signout").status_code == 303
        assert client.get(CONSOLE).status_code == 401


def test_another_accounts_pages_are_not_found(emulator: Running) -> None:
    owner, other = new_account(emulator), new_account(emulator)
    api = make_client(emulator.url, owner).conversations.v1
    service = api.configuration().fetch().default_chat_service_sid
    chat = a_chat(api)
    bob = api.users("bob").fetch().sid
    pages = [f"services/{service}/users", f"services/{service}/users/{bob}", f"services/{service}/conversations/{chat}"]
    with signed_in(emulator, owner) as mine, signed_in(emulator, other) as theirs:
        for page in pages:
            assert mine.get(CONSOLE + page).status_code == 200, page
            refused = theirs.get(CONSOLE + page)
            assert refused.status_code == 404 and "bob" not in refused.text and "hello bob" not in refused.text
        # The other account's own service does not reach into the owner's users either.
        their_service = make_client(emulator.url, other).conversations.v1.configuration().fetch()
        assert theirs.get(CONSOLE + f"services/{their_service.default_chat_service_sid}/users/{bob}").status_code == 404


def test_users_are_paged_and_found_by_identity(emulator: Running) -> None:
    account = new_account(emulator)
    api = make_client(emulator.url, account).conversations.v1
    for i in range(55):
        api.users.create(identity=f"user-{i:02d}")
    service = api.configuration().fetch().default_chat_service_sid
    with signed_in(emulator, account) as client:
        first = client.get(CONSOLE + f"services/{service}/users")
        shown = re.findall(r">(user-\d\d)</a>", first.text)
        assert shown == [f"user-{i:02d}" for i in range(50)]
        following = re.search(r'href="([^"]+)"[^>]*>Next', first.text) or re.search(
            r'rel="next" href="([^"]+)"', first.text
        )
        assert following is not None
        second = client.get(following.group(1).replace("&amp;", "&"))
        assert re.findall(r">(user-\d\d)</a>", second.text) == [f"user-{i:02d}" for i in range(50, 55)]
        found = client.get(CONSOLE + f"services/{service}/users", params={"find": "user-07"})
        assert found.status_code == 303
        assert found.headers["location"].endswith(api.users("user-07").fetch().sid)
        assert "No user" in client.get(CONSOLE + f"services/{service}/users", params={"find": "nobody"}).text


def test_html_is_escaped(emulator: Running) -> None:
    account = new_account(emulator)
    api = make_client(emulator.url, account).conversations.v1
    chat = api.conversations.create(friendly_name="<b>bold</b>")
    chat.messages.create(author="mallory", body="<script>alert(1)</script>")
    service = api.configuration().fetch().default_chat_service_sid
    with signed_in(emulator, account) as client:
        page = client.get(CONSOLE + f"services/{service}/conversations/{chat.sid}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page


def test_the_console_is_off_outside_emulator_mode(running: Running) -> None:
    response = httpx.get(running.url + CONSOLE)
    assert response.status_code == 404 and response.json()["code"] == 20404


# --- in a real browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The browser walks run once, on SQLite: the pages are the same on both engines (above)."""
    with serving("sqlite", tmp_path_factory.mktemp("browser"), extra_args=["--emulator"]) as server:
        yield server


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, for one test. Per test, because Playwright's sync API keeps an
    event loop running on this thread, where other fixtures' set-up and tear-down (asyncio.run) must
    not find one."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI (.ci/run installs it)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def test_in_a_browser_the_unread_count_follows_new_messages(
    sqlite_emulator: Running, browser: Browser, tmp_path: Path
) -> None:
    emulator = sqlite_emulator
    account = new_account(emulator)
    api = make_client(emulator.url, account).conversations.v1
    chat = api.conversations(a_chat(api))

    page = browser.new_page()
    page.goto(emulator.url + CONSOLE)
    page.fill("input[name=AccountSid]", account.sid)
    page.fill("input[name=AuthToken]", account.token)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Conversation Services")
    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_role("link", name="bob", exact=True).click()
    expect(page.locator("h1")).to_have_text("bob")
    row = page.locator("#memberships tbody tr", has_text="Support chat")
    expect(row.locator("td.unread")).to_have_text("0")
    expect(row.locator("td.horizon")).to_have_text("0")

    chat.messages.create(author="alice", body="are you there?")
    # The page refreshes its counts by itself (console.js), no reload.
    expect(row.locator("td.unread")).to_have_text("1", timeout=15_000)
    page.screenshot(path=str(tmp_path / "console-user.png"), full_page=True)
    if os.environ.get("CHINWAG_SCREENSHOT"):  # to look at the page: CHINWAG_SCREENSHOT=/tmp/x.png
        page.screenshot(path=os.environ["CHINWAG_SCREENSHOT"], full_page=True)

    row.locator("a").click()
    expect(page.locator("#messages li")).to_have_count(2)
    expect(page.locator("#messages li").first).to_contain_text("are you there?")
    page.close()


def test_in_a_browser_without_javascript_browsing_works(sqlite_emulator: Running, browser: Browser) -> None:
    emulator = sqlite_emulator
    account = new_account(emulator)
    api = make_client(emulator.url, account).conversations.v1
    chat = api.conversations(a_chat(api))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(emulator.url + CONSOLE)
    page.fill("input[name=AccountSid]", account.sid)
    page.fill("input[name=AuthToken]", account.token)
    page.click("button[type=submit]")
    page.get_by_role("link", name="Conversations", exact=True).click()
    expect(page.locator("h1")).to_have_text("Conversations")
    page.get_by_role("link", name="Support chat").click()
    expect(page.locator("#participants")).to_contain_text("alice")
    chat.messages.create(author="alice", body="one more")
    page.get_by_role("link", name="bob", exact=True).click()
    expect(page.locator("#memberships td.unread")).to_have_text("1")
    context.close()


def test_the_console_flag_turns_it_on_outside_emulator_mode(tmp_path: Path) -> None:
    with serving("sqlite", tmp_path, extra_args=["--console"]) as server:
        account = new_account(server)
        with signed_in(server, account) as client:
            assert client.get(CONSOLE).status_code == 200
        # The control API stays off: --console is only the console.
        assert httpx.post(server.url + "/_chinwag/v1/Accounts").status_code == 404


async def _fill(url: str, account_sid: str, count: int) -> None:
    db = open_database(url)
    await db.start()
    try:
        deps = Deps(SystemClock(), SidFactory())
        async with db.write() as tx:
            scope = await chat_services.resolve_scope(tx, account_sid, None, "")
            for i in range(count):
                await users.create(tx, deps, scope, f"u{i:06d}")
    finally:
        await db.close()


def test_a_service_of_100k_users_pages_as_fast_at_the_end_as_at_the_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'big.db'}"
    account = Account(*bootstrap.create_account(url))
    asyncio.run(_fill(url, account.sid, 100_000))
    server = Server(url, free_port(), tmp_path / "big.log", {}, ["--emulator"])
    server.start()
    try:
        service = make_client(server.url, account).conversations.v1.configuration().fetch().default_chat_service_sid
        users_page = CONSOLE + f"services/{service}/users"
        with httpx.Client(base_url=server.url) as client:
            client.post(CONSOLE + "signin", data={"AccountSid": account.sid, "AuthToken": account.token})

            def timed(path: str, **params: str) -> tuple[float, httpx.Response]:
                took = []
                for _ in range(5):
                    started = time.perf_counter()
                    response = client.get(path, params=params)
                    took.append(time.perf_counter() - started)
                return sorted(took)[2], response

            first, page = timed(users_page)
            assert page.status_code == 200 and ">u000000</a>" in page.text
            last_key = max(int(k) for k in re.findall(r"after=(\d+)", page.text))
            deep, page = timed(users_page, after=str(last_key + 99_900))
            assert page.status_code == 200 and ">u099999</a>" in page.text, page.text[-500:]
            found, page = timed(users_page, find="u099998")
            assert page.status_code == 303
    finally:
        server.stop()
    # Keyset paging: the last page costs what the first does (no OFFSET, no count), well under a second.
    assert deep < max(3 * first, first + 0.05) and deep < 1.0, (first, deep)
    assert found < 1.0, found
