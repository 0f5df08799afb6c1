"""A sample app's tests against chinwag, using only the fixtures of chinwag's pytest plugin.

Run with `pytest -n 2` (pytest-xdist) or plain `pytest`: every test gets a fresh account, so the
tests never see each other's users or conversations.
"""

from twilio.rest import Client

from chinwag.pytest_plugin import ChinwagAccount


def test_a_fresh_account_starts_empty(twilio_client: Client) -> None:
    conversations = twilio_client.conversations.v1
    assert conversations.users.list() == []
    conversations.users.create(identity="alice")
    assert [user.identity for user in conversations.users.list()] == ["alice"]


def test_unread_counts(twilio_client: Client) -> None:
    conversations = twilio_client.conversations.v1
    chat = conversations.conversations.create(friendly_name="support")
    for identity in ("alice", "bob"):
        chat.participants.create(identity=identity)
    chat.messages.create(author="alice", body="hello")
    conversations.users("bob").user_conversations(chat.sid).update(last_read_message_index=0)
    chat.messages.create(author="alice", body="are you there?")
    assert conversations.users("bob").user_conversations(chat.sid).fetch().unread_messages_count == 1


def test_each_test_has_its_own_account(twilio_client: Client, chinwag_account: ChinwagAccount) -> None:
    assert twilio_client.username == chinwag_account.sid
    # Another test made an "alice" too, in its own account: no 409 here.
    assert twilio_client.conversations.v1.users.create(identity="alice").account_sid == chinwag_account.sid
