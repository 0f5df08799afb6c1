"""Emulator mode's own state: each account's clock, and its journal of API requests.

Revision ID: 0008
Revises: 0007

`emulator_clocks` holds an account's clock offset (seconds added to the server's clock) once the
account's clock was moved through `POST /_chinwag/v1/Clock`; an account without a row runs on the
server's clock. It is stored rather than kept in memory so every worker process agrees.

`emulator_requests` is the journal `GET /_chinwag/v1/Requests` reads: the last 1,000 API requests of
each account (older rows are pruned as new ones are written). Credentials are never stored.
Both tables are only written in emulator mode; rows go with their account.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "emulator_clocks",
        sa.Column("account_sid", sa.Text, sa.ForeignKey("accounts.sid", ondelete="CASCADE"), primary_key=True),
        sa.Column("offset_seconds", sa.Float, nullable=False),
    )
    op.create_table(
        "emulator_requests",
        sa.Column("id", SEQ, primary_key=True, autoincrement=True),
        sa.Column("account_sid", sa.Text, sa.ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("code", sa.Integer, nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("hint", sa.Text, nullable=True),
        sa.Column("date_created", sa.Text, nullable=False),
    )
    op.create_index("emulator_requests_by_account", "emulator_requests", ["account_sid", "id"])


def downgrade() -> None:
    op.drop_index("emulator_requests_by_account", table_name="emulator_requests")
    op.drop_table("emulator_requests")
    op.drop_table("emulator_clocks")
