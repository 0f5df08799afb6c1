"""The webhook outbox: one row per delivery of an event to a target, and one row per ordering lane.

Revision ID: 0007
Revises: 0006

`webhook_deliveries` rows are written in the transaction of the change that produced the event
(an acknowledged change always has them, a rolled-back one never does) and carried out later by
the dispatcher (chinwag/events/dispatcher.py). A lane is one receiver URL and one conversation (or
user): its deliveries go out one after another in id order. `webhook_lanes` holds each lane's
schedule and lease; writers lock their lane's row before inserting, which on PostgreSQL makes id
order within a lane the commit order (docs/decisions.md #72).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"  # 0005 as assigned; chained after 0006 once webhook-config was merged in
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", SEQ, primary_key=True, autoincrement=True),
        sa.Column("sid", sa.Text, nullable=False, unique=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        sa.Column("conversation_sid", sa.Text, nullable=True),
        sa.Column("lane", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),  # as configured, fragment included
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("params", sa.Text, nullable=False),  # JSON array of [name, value] pairs, in order
        sa.Column("token", sa.Text, nullable=False),  # I-Twilio-Idempotency-Token
        sa.Column("status", sa.Text, nullable=False),  # pending | delivered | failed
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_at", sa.Float, nullable=False),  # epoch seconds: not tried before
        sa.Column("created_at", sa.Float, nullable=False),  # epoch seconds of the write
        sa.Column("response_status", sa.Integer, nullable=True),
        sa.Column("response_body", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("date_created", sa.Text, nullable=False),
        sa.Column("date_updated", sa.Text, nullable=False),
    )
    op.create_index(
        "webhook_deliveries_pending",
        "webhook_deliveries",
        ["lane", "id"],
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("webhook_deliveries_by_account", "webhook_deliveries", ["account_sid", "id"])
    op.create_index("webhook_deliveries_by_age", "webhook_deliveries", ["status", "created_at"])
    op.create_table(
        "webhook_lanes",
        sa.Column("lane", sa.Text, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),  # bumped by every write
        sa.Column("has_work", sa.Integer, nullable=False, server_default="1"),
        sa.Column("next_at", sa.Float, nullable=False, server_default="0"),  # head's next attempt
        sa.Column("lease_until", sa.Float, nullable=False, server_default="0"),  # a dispatcher works it
    )
    op.create_index(
        "webhook_lanes_due",
        "webhook_lanes",
        ["next_at"],
        sqlite_where=sa.text("has_work = 1"),
        postgresql_where=sa.text("has_work = 1"),
    )


def downgrade() -> None:
    op.drop_table("webhook_lanes")
    op.drop_index("webhook_deliveries_by_age", table_name="webhook_deliveries")
    op.drop_index("webhook_deliveries_by_account", table_name="webhook_deliveries")
    op.drop_index("webhook_deliveries_pending", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
