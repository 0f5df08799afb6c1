"""Webhook configuration at its three levels: account, service, conversation.

Revision ID: 0006
Revises: 0005

- `account_webhook_configs`: `/v1/Configuration/Webhooks`, one row per account once it is updated.
- `service_webhook_configs`: `/v1/Services/{IS}/Configuration/Webhooks`, one row per service once
  updated; deleted with its service.
- `conversation_webhooks` (WH…): `/v1/Conversations/{CH}/Webhooks`, at most 5 per conversation;
  deleted with their conversation.

A row exists only once someone configured something, so the question every write transaction asks
("where do this conversation's events go?", domain/webhook_config.py) finds nothing in three
primary-key or index probes when nothing is configured. `filters` and `triggers` are JSON arrays
of text; `method` is stored upper case (`GET`/`POST`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _config_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("method", sa.Text, nullable=False, server_default="POST"),
        sa.Column("filters", sa.Text, nullable=False, server_default="[]"),
        sa.Column("pre_webhook_url", sa.Text, nullable=True),
        sa.Column("post_webhook_url", sa.Text, nullable=True),
        sa.Column("target", sa.Text, nullable=False, server_default="webhook"),
    ]


def upgrade() -> None:
    op.create_table(
        "account_webhook_configs",
        sa.Column("account_sid", sa.Text, sa.ForeignKey("accounts.sid", ondelete="CASCADE"), primary_key=True),
        *_config_columns(),
    )
    op.create_table(
        "service_webhook_configs",
        sa.Column("chat_service_sid", sa.Text, sa.ForeignKey("services.sid", ondelete="CASCADE"), primary_key=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        *_config_columns(),
    )
    op.create_table(
        "conversation_webhooks",
        sa.Column("id", SEQ, primary_key=True, autoincrement=True),
        sa.Column("sid", sa.Text, nullable=False, unique=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        sa.Column("chat_service_sid", sa.Text, nullable=False),
        sa.Column("conversation_sid", sa.Text, sa.ForeignKey("conversations.sid", ondelete="CASCADE"), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=True),
        sa.Column("method", sa.Text, nullable=False, server_default="POST"),
        sa.Column("filters", sa.Text, nullable=False, server_default="[]"),
        sa.Column("triggers", sa.Text, nullable=False, server_default="[]"),
        sa.Column("flow_sid", sa.Text, nullable=True),
        sa.Column("replay_after", sa.BigInteger, nullable=True),
        sa.Column("date_created", sa.Text, nullable=False),
        sa.Column("date_updated", sa.Text, nullable=False),
    )
    # Listing, counting (the limit of 5) and resolving targets all read one conversation's hooks
    # in creation order; the FK cascade from conversations uses it too.
    op.create_index("conversation_webhooks_by_conversation", "conversation_webhooks", ["conversation_sid", "id"])


def downgrade() -> None:
    for table in ("conversation_webhooks", "service_webhook_configs", "account_webhook_configs"):
        op.drop_table(table)
