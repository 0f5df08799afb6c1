"""Media: uploaded files (Twilio's Media Content Service) and the media list of a message.

Revision ID: 0012
Revises: 0011

- `media`: one row per upload (`ME…`), its bytes in `content` (BLOB / bytea), owned by a service of
  an account. `message_sid` and `conversation_sid` are set when a message takes it; deleting the
  message deletes its media (foreign key, docs/decisions.md #146), deleting the service deletes
  every upload of it.
- `messages.media`: the message's `media` list as JSON text (`[{sid, size, content_type,
  filename, category}]`), `NULL` without media, written in the message's transaction, so a list
  page reads it with the message and never queries `media` per row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("messages", sa.Column("media", sa.Text, nullable=True))
    op.create_table(
        "media",
        sa.Column("id", SEQ, primary_key=True, autoincrement=True),
        sa.Column("sid", sa.Text, nullable=False, unique=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        sa.Column("chat_service_sid", sa.Text, sa.ForeignKey("services.sid", ondelete="CASCADE"), nullable=False),
        sa.Column("conversation_sid", sa.Text, nullable=True),
        sa.Column("message_sid", sa.Text, sa.ForeignKey("messages.sid", ondelete="CASCADE"), nullable=True),
        sa.Column("author", sa.Text, nullable=True),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=True),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("date_created", sa.Text, nullable=False),
        sa.Column("date_updated", sa.Text, nullable=False),
    )
    op.create_index("media_by_message", "media", ["message_sid"])
    op.create_index("media_by_account", "media", ["account_sid", "id"])


def downgrade() -> None:
    op.drop_table("media")
    op.drop_column("messages", "media")  # plain DROP COLUMN, as 0011: no rebuild of a referenced table
