"""PostgreSQL: `chinwag_post_message` also writes the post's realtime events.

Revision ID: 0016
Revises: 0015

Every message post writes two rows into the realtime log (migration 0013, domain/sync_events.py
`message_added`): the messages list's `list_item_added` and the conversation document's
`document_updated` with its new `lastMessage`. The one-statement post of migration 0014 returns
before any Python runs in its transaction, so those rows are written here, in the same function
and transaction, after the message's INSERT (the conversation's row lock, taken first, keeps the
log's ids in commit order, docs/decisions.md #139). The list item comes in as JSON text built by
the server (domain/sync_shapes.py `message_item`); only `memberSid`, found here, is added to it.
The document is built here from the conversation's row, the same fields as `sync_shapes.document`
(tests/test_realtime_events.py compares what a plain post logs with what the projection reads).

SQLite: nothing (there, posts take the general path, which writes the events in Python).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_OLD_SIGNATURE = "text, text, text, boolean, text, text, boolean, text, text, text, text, text, text"
_NEW_SIGNATURE = _OLD_SIGNATURE + ", text, text"

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
    p_updated text,
    p_item text,             -- the messages-list item (JSON), but for memberSid
    p_event_date text        -- the date of the realtime events (the request's time)
) RETURNS SETOF messages
LANGUAGE plpgsql AS $$
DECLARE
    v_service text := p_service_sid;
    v_conv conversations%ROWTYPE;
    v_index bigint;
    v_participant text;
BEGIN
    IF v_service IS NULL THEN
        SELECT default_chat_service_sid INTO v_service FROM account_configs WHERE account_sid = p_account_sid;
    ELSIF NOT EXISTS (SELECT 1 FROM services WHERE sid = v_service AND account_sid = p_account_sid) THEN
        RETURN;
    END IF;
    IF p_by_sid THEN
        UPDATE conversations SET next_message_index = next_message_index + 1
         WHERE sid = p_conversation AND chat_service_sid = v_service
           AND state = 'active' AND COALESCE(inactive_timer, '') = '' AND COALESCE(closed_timer, '') = ''
           AND binding_participants = 0
        RETURNING * INTO v_conv;
    ELSE
        UPDATE conversations SET next_message_index = next_message_index + 1
         WHERE unique_name = p_conversation AND chat_service_sid = v_service
           AND state = 'active' AND COALESCE(inactive_timer, '') = '' AND COALESCE(closed_timer, '') = ''
           AND binding_participants = 0
        RETURNING * INTO v_conv;
    END IF;
    IF v_conv.sid IS NULL THEN
        RETURN;  -- nothing written: the caller takes the general path
    END IF;
    v_index := v_conv.next_message_index - 1;
    IF p_author_lookup THEN
        SELECT sid INTO v_participant FROM participants
         WHERE conversation_sid = v_conv.sid AND identity = p_author;
    END IF;
    RETURN QUERY
    INSERT INTO messages (sid, account_sid, chat_service_sid, conversation_sid, msg_index, author, body,
                          attributes, participant_sid, content_sid, subject, date_created, date_updated, delivery)
    VALUES (p_sid, v_conv.account_sid, v_service, v_conv.sid, v_index, p_author, p_body, p_attributes,
            v_participant, p_content_sid, p_subject, p_created, p_updated, NULL)
    RETURNING *;
    INSERT INTO realtime_events (account_sid, object_sid, object_type, event_type, item_key, item_index, data,
                                 date_created)
    VALUES (v_conv.account_sid, v_conv.sid || '.msgs', 'list', 'list_item_added', NULL, v_index,
            (p_item::jsonb || jsonb_build_object('memberSid', v_participant))::text, p_event_date),
           (v_conv.account_sid, v_conv.sid || '.doc', 'document', 'document_updated', NULL, NULL,
            jsonb_build_object(
                'messages', v_conv.sid || '.msgs',
                'roster', v_conv.sid || '.roster',
                'friendlyName', v_conv.friendly_name,
                'uniqueName', v_conv.unique_name,
                -- As sync_shapes.document: JSON past a 64-bit integer (or a huge exponent) stays text.
                'attributes', CASE WHEN v_conv.attributes ~ '[0-9]{19,}|[eE][+-]?[0-9]{3,}'
                                   THEN to_jsonb(v_conv.attributes) ELSE v_conv.attributes::jsonb END,
                'createdBy', v_conv.created_by,
                'dateCreated', v_conv.date_created,
                'dateUpdated', v_conv.date_updated,
                'state', jsonb_build_object('current', v_conv.state, 'dateUpdated', v_conv.date_updated),
                'lastMessage', jsonb_build_object('index', v_index, 'timestamp', p_created)
            )::text, p_event_date);
    PERFORM pg_notify('chinwag_realtime', '');
    -- A new snapshot, taken after the lock above: every committed horizon is seen.
    UPDATE participants SET unread_count = unread_count + 1
     WHERE conversation_sid = v_conv.sid AND last_read_message_index < v_index;
END
$$
"""


def _function_of_0014() -> str:
    """0014's own text of the function, for the way down (a migration is not importable by name)."""
    path = Path(__file__).with_name("0014_one_round_trip_writes.py")
    spec = importlib.util.spec_from_file_location("chinwag_migration_0014", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.POST_MESSAGE)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS chinwag_post_message({_OLD_SIGNATURE})")
        op.execute(POST_MESSAGE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS chinwag_post_message({_NEW_SIGNATURE})")
        op.execute(_function_of_0014())
