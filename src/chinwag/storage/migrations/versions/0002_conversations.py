"""Conversations, participants and messages, with maintained read state.

Revision ID: 0002
Revises: 0001

Unread counts are kept, not computed: `participants.unread_count` is the number of existing
messages above the participant's read horizon (see domain/read_state.py). Message indexes are
allocated from `conversations.next_message_index` under the conversation's row lock and are
unique per conversation by constraint.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _seq() -> sa.Column[int]:
    return sa.Column("id", SEQ, primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "conversations",
        _seq(),
        sa.Column("sid", sa.Text, nullable=False, unique=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        sa.Column("chat_service_sid", sa.Text, sa.ForeignKey("services.sid", ondelete="CASCADE"), nullable=False),
        sa.Column("messaging_service_sid", sa.Text, nullable=True),
        sa.Column("friendly_name", sa.Text, nullable=True),
        sa.Column("unique_name", sa.Text, nullable=True),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("bindings", sa.Text, nullable=True),
        sa.Column("inactive_timer", sa.Text, nullable=True),
        sa.Column("closed_timer", sa.Text, nullable=True),
        # Deadlines (ISO text, sorts as time); non-null only while the transition is still ahead.
        sa.Column("date_inactive", sa.Text, nullable=True),
        sa.Column("date_closed", sa.Text, nullable=True),
        sa.Column("next_message_index", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("date_created", sa.Text, nullable=False),
        sa.Column("date_updated", sa.Text, nullable=False),
        sa.UniqueConstraint("chat_service_sid", "unique_name", name="conversations_unique_name_per_service"),
    )
    op.create_index("conversations_by_service", "conversations", ["chat_service_sid", "id"])
    op.create_index("conversations_inactive_due", "conversations", ["date_inactive"])
    op.create_index("conversations_closed_due", "conversations", ["date_closed"])

    op.create_table(
        "participants",
        _seq(),
        sa.Column("sid", sa.Text, nullable=False, unique=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        sa.Column("chat_service_sid", sa.Text, nullable=False),
        sa.Column("conversation_sid", sa.Text, sa.ForeignKey("conversations.sid", ondelete="CASCADE"), nullable=False),
        # Deleting a user deletes their participants (decisions.md #5).
        sa.Column("user_sid", sa.Text, sa.ForeignKey("users.sid", ondelete="CASCADE"), nullable=True),
        sa.Column("identity", sa.Text, nullable=True),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("role_sid", sa.Text, nullable=True),
        sa.Column("binding_type", sa.Text, nullable=True),
        sa.Column("binding_address", sa.Text, nullable=True),
        sa.Column("binding_proxy_address", sa.Text, nullable=True),
        sa.Column("binding_projected_address", sa.Text, nullable=True),
        # "address|proxy" while the conversation is open; NULL once closed, so the pair is free again.
        sa.Column("binding_key", sa.Text, nullable=True),
        sa.Column("last_read_message_index", sa.BigInteger, nullable=True),
        sa.Column("last_read_timestamp", sa.Text, nullable=True),
        sa.Column("unread_count", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("notification_level", sa.Text, nullable=False, server_default="default"),
        sa.Column("date_created", sa.Text, nullable=False),
        sa.Column("date_updated", sa.Text, nullable=False),
        sa.UniqueConstraint("conversation_sid", "identity", name="participants_identity_per_conversation"),
        sa.UniqueConstraint("account_sid", "binding_key", name="participants_open_binding_pair"),
    )
    op.create_index("participants_by_conversation", "participants", ["conversation_sid", "id"])
    op.create_index("participants_by_user", "participants", ["user_sid", "id"])
    op.create_index("participants_by_identity", "participants", ["chat_service_sid", "identity", "id"])
    op.create_index("participants_by_address", "participants", ["account_sid", "binding_address", "id"])

    op.create_table(
        "messages",
        _seq(),
        sa.Column("sid", sa.Text, nullable=False, unique=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        sa.Column("chat_service_sid", sa.Text, nullable=False),
        sa.Column("conversation_sid", sa.Text, sa.ForeignKey("conversations.sid", ondelete="CASCADE"), nullable=False),
        sa.Column("msg_index", sa.BigInteger, nullable=False),
        sa.Column("author", sa.Text, nullable=True),
        sa.Column("body", sa.Text, nullable=True),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("participant_sid", sa.Text, nullable=True),
        sa.Column("content_sid", sa.Text, nullable=True),
        sa.Column("subject", sa.Text, nullable=True),
        sa.Column("date_created", sa.Text, nullable=False),
        sa.Column("date_updated", sa.Text, nullable=False),
        sa.UniqueConstraint("conversation_sid", "msg_index", name="messages_index_per_conversation"),
    )


def downgrade() -> None:
    for table in ("messages", "participants", "conversations"):
        op.drop_table(table)
