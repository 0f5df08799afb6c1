"""Delivery receipts, address configurations, push credentials, bindings, notification settings.

Revision ID: 0011
Revises: 0009

- `delivery_receipts`: one row per message and messaging-binding (SMS/WhatsApp) participant,
  written in the message's transaction. The row also keeps where the message went (`to_address`,
  `from_address`, `channel`), so the emulator's outbound log is a read of this table and survives
  the participant's removal.
- `messages.delivery`: the message's delivery summary as JSON text, `NULL` when it has no receipts
  (chat only). Kept in step with its receipts in the same transaction as any receipt change.
- `conversations.binding_participants`: how many participants with a messaging binding the
  conversation has, maintained on participant add/remove. Posting a message reads it from the row
  it locks anyway, so a chat-only conversation pays no extra query for receipts.
- `address_configurations` (unique per account, type and address), `credentials` (secrets kept,
  never rendered), `bindings` (push registrations), `service_notifications` (one JSON document per
  service; no row means Twilio's defaults).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _seq() -> sa.Column[int]:
    return sa.Column("id", SEQ, primary_key=True, autoincrement=True)


def _dates() -> list[sa.Column[str]]:
    return [sa.Column("date_created", sa.Text, nullable=False), sa.Column("date_updated", sa.Text, nullable=False)]


def upgrade() -> None:
    op.add_column("conversations", sa.Column("binding_participants", sa.Integer, nullable=False, server_default="0"))
    op.execute(
        "UPDATE conversations SET binding_participants = (SELECT COUNT(*) FROM participants p"
        " WHERE p.conversation_sid = conversations.sid AND p.binding_address IS NOT NULL)"
    )
    op.add_column("messages", sa.Column("delivery", sa.Text, nullable=True))

    op.create_table(
        "delivery_receipts",
        _seq(),
        sa.Column("sid", sa.Text, nullable=False, unique=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        sa.Column("chat_service_sid", sa.Text, nullable=False),
        sa.Column("conversation_sid", sa.Text, nullable=False),
        sa.Column("message_sid", sa.Text, sa.ForeignKey("messages.sid", ondelete="CASCADE"), nullable=False),
        sa.Column("participant_sid", sa.Text, nullable=False),
        sa.Column("channel_message_sid", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("error_code", sa.Integer, nullable=False, server_default="0"),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("to_address", sa.Text, nullable=False),
        sa.Column("from_address", sa.Text, nullable=True),
        *_dates(),
        sa.UniqueConstraint("message_sid", "participant_sid", name="delivery_receipts_one_per_participant"),
    )
    op.create_index("delivery_receipts_by_message", "delivery_receipts", ["message_sid", "id"])
    op.create_index("delivery_receipts_by_recipient", "delivery_receipts", ["account_sid", "to_address", "id"])

    op.create_table(
        "address_configurations",
        _seq(),
        sa.Column("sid", sa.Text, nullable=False, unique=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("friendly_name", sa.Text, nullable=True),
        sa.Column("address_country", sa.Text, nullable=True),
        sa.Column("auto_creation", sa.Text, nullable=False),
        *_dates(),
        sa.UniqueConstraint("account_sid", "type", "address", name="address_configurations_unique_address"),
    )
    op.create_index("address_configurations_by_account", "address_configurations", ["account_sid", "id"])

    op.create_table(
        "credentials",
        _seq(),
        sa.Column("sid", sa.Text, nullable=False, unique=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("friendly_name", sa.Text, nullable=True),
        sa.Column("sandbox", sa.Boolean, nullable=True),
        sa.Column("certificate", sa.Text, nullable=True),
        sa.Column("private_key", sa.Text, nullable=True),
        sa.Column("api_key", sa.Text, nullable=True),
        sa.Column("secret", sa.Text, nullable=True),
        *_dates(),
    )
    op.create_index("credentials_by_account", "credentials", ["account_sid", "id"])

    op.create_table(
        "bindings",
        _seq(),
        sa.Column("sid", sa.Text, nullable=False, unique=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        sa.Column("chat_service_sid", sa.Text, sa.ForeignKey("services.sid", ondelete="CASCADE"), nullable=False),
        sa.Column("credential_sid", sa.Text, nullable=True),
        sa.Column("endpoint", sa.Text, nullable=False),
        sa.Column("identity", sa.Text, nullable=False),
        sa.Column("binding_type", sa.Text, nullable=False),
        sa.Column("message_types", sa.Text, nullable=False),
        *_dates(),
    )
    op.create_index("bindings_by_service", "bindings", ["chat_service_sid", "id"])

    op.create_table(
        "service_notifications",
        sa.Column("chat_service_sid", sa.Text, sa.ForeignKey("services.sid", ondelete="CASCADE"), primary_key=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("service_notifications", "bindings", "credentials", "address_configurations", "delivery_receipts"):
        op.drop_table(table)
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch rebuild of `conversations` would
    # drop and re-create a table other tables reference.
    op.drop_column("messages", "delivery")
    op.drop_column("conversations", "binding_participants")
