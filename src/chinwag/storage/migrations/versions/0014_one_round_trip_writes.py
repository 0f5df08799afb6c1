"""PostgreSQL: a message post in one statement, the function `chinwag_post_message`.

Revision ID: 0014
Revises: 0013

A message post to a plain conversation (active, no timers, no SMS/WhatsApp participants) is five
statements: resolve the service, lock the conversation and take its next index, look up the
author's participant, insert the message, bump the unread counts below it. Over the wire each is
a round trip, and so are BEGIN and COMMIT. This function does the five in one call, which the
server sends outside a transaction block (it commits by itself): one round trip per post
(storage/repos/messages.py::post_plain, docs/ARCHITECTURE.md "PostgreSQL write path").

Why a function and not one statement with data-modifying CTEs: every part of a single statement
reads the snapshot taken when the statement began, before the conversation's lock was granted.
The unread-count UPDATE would then judge participants by the horizons they had before a
concurrent horizon move committed (or miss a participant added meanwhile): the race
tests/test_concurrency.py catches. In PL/pgSQL (VOLATILE, READ COMMITTED) each statement takes a
new snapshot, so the UPDATE after the lock sees every committed horizon, as the statements sent
one by one did.

When the conversation is not plain (or not found, or closed) the function writes nothing and
returns no row; the server then runs the general path, with its own checks and errors, in a
normal transaction. Another insert in the same write (a realtime event row, say) belongs inside
the function, after the message's INSERT, by `CREATE OR REPLACE FUNCTION` in a later migration.

SQLite: nothing (its statements cost microseconds in-process; there is no round trip to save).
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"  # chained after the media (0012) and realtime log (0013) migrations when the branches met
branch_labels = None
depends_on = None

POST_MESSAGE = """
CREATE OR REPLACE FUNCTION chinwag_post_message(
    p_account_sid text,
    p_service_sid text,      -- NULL: the account's default service (the short URL form)
    p_conversation text,
    p_by_sid boolean,        -- p_conversation is a SID (else a unique name)
    p_sid text,
    p_author text,
    p_author_lookup boolean, -- the author was sent: its participant (if any) is the message's
    p_body text,
    p_attributes text,
    p_content_sid text,
    p_subject text,
    p_created text,
    p_updated text
) RETURNS SETOF messages
LANGUAGE plpgsql AS $$
DECLARE
    v_service text := p_service_sid;
    v_conversation text;
    v_account text;
    v_index bigint;
BEGIN
    IF v_service IS NULL THEN
        SELECT default_chat_service_sid INTO v_service FROM account_configs WHERE account_sid = p_account_sid;
    ELSIF NOT EXISTS (SELECT 1 FROM services WHERE sid = v_service AND account_sid = p_account_sid) THEN
        RETURN;
    END IF;
    -- The conversation's row lock and its next index, only for a plain conversation; two
    -- statements so that each keeps its index (a CASE in the WHERE would scan in a generic plan).
    IF p_by_sid THEN
        UPDATE conversations SET next_message_index = next_message_index + 1
         WHERE sid = p_conversation AND chat_service_sid = v_service
           AND state = 'active' AND COALESCE(inactive_timer, '') = '' AND COALESCE(closed_timer, '') = ''
           AND binding_participants = 0
        RETURNING sid, account_sid, next_message_index - 1 INTO v_conversation, v_account, v_index;
    ELSE
        UPDATE conversations SET next_message_index = next_message_index + 1
         WHERE unique_name = p_conversation AND chat_service_sid = v_service
           AND state = 'active' AND COALESCE(inactive_timer, '') = '' AND COALESCE(closed_timer, '') = ''
           AND binding_participants = 0
        RETURNING sid, account_sid, next_message_index - 1 INTO v_conversation, v_account, v_index;
    END IF;
    IF v_conversation IS NULL THEN
        RETURN;  -- nothing written: the caller takes the general path
    END IF;
    RETURN QUERY
    INSERT INTO messages (sid, account_sid, chat_service_sid, conversation_sid, msg_index, author, body,
                          attributes, participant_sid, content_sid, subject, date_created, date_updated, delivery)
    VALUES (p_sid, v_account, v_service, v_conversation, v_index, p_author, p_body, p_attributes,
            CASE WHEN p_author_lookup THEN
                (SELECT sid FROM participants WHERE conversation_sid = v_conversation AND identity = p_author)
            END,
            p_content_sid, p_subject, p_created, p_updated, NULL)
    RETURNING *;
    -- A new snapshot, taken after the lock above: every committed horizon is seen.
    UPDATE participants SET unread_count = unread_count + 1
     WHERE conversation_sid = v_conversation AND last_read_message_index < v_index;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POST_MESSAGE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS chinwag_post_message(text, text, text, boolean, text, text, boolean,"
            " text, text, text, text, text, text)"
        )
