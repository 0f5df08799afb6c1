"""Accounts, services and their configuration, roles, users.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# An insertion sequence per table: list order and keyset page tokens use it.
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _seq() -> sa.Column[int]:
    return sa.Column("id", SEQ, primary_key=True, autoincrement=True)


def _cascade(column: str, target: str) -> sa.Column[str]:
    return sa.Column(column, sa.Text, sa.ForeignKey(target, ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("sid", sa.Text, primary_key=True),
        sa.Column("auth_token", sa.Text, nullable=False),
        sa.Column("friendly_name", sa.Text, nullable=True),
        sa.Column("date_created", sa.Text, nullable=False),
    )
    op.create_table(
        "services",
        _seq(),
        sa.Column("sid", sa.Text, nullable=False, unique=True),
        _cascade("account_sid", "accounts.sid"),
        sa.Column("friendly_name", sa.Text, nullable=False),
        sa.Column("date_created", sa.Text, nullable=False),
        sa.Column("date_updated", sa.Text, nullable=False),
    )
    op.create_index("services_by_account", "services", ["account_sid", "id"])
    op.create_table(
        "account_configs",
        sa.Column("account_sid", sa.Text, sa.ForeignKey("accounts.sid", ondelete="CASCADE"), primary_key=True),
        sa.Column("default_chat_service_sid", sa.Text, nullable=True),
        sa.Column("default_messaging_service_sid", sa.Text, nullable=True),
        sa.Column("default_inactive_timer", sa.Text, nullable=True),
        sa.Column("default_closed_timer", sa.Text, nullable=True),
    )
    op.create_table(
        "roles",
        _seq(),
        sa.Column("sid", sa.Text, nullable=False, unique=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        _cascade("chat_service_sid", "services.sid"),
        sa.Column("friendly_name", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("permissions", sa.Text, nullable=False),
        sa.Column("date_created", sa.Text, nullable=False),
        sa.Column("date_updated", sa.Text, nullable=False),
    )
    op.create_index("roles_by_service", "roles", ["chat_service_sid", "id"])
    op.create_table(
        "service_configs",
        sa.Column("chat_service_sid", sa.Text, sa.ForeignKey("services.sid", ondelete="CASCADE"), primary_key=True),
        sa.Column("default_conversation_creator_role_sid", sa.Text, nullable=True),
        sa.Column("default_conversation_role_sid", sa.Text, nullable=True),
        sa.Column("default_chat_service_role_sid", sa.Text, nullable=True),
        sa.Column("reachability_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "users",
        _seq(),
        sa.Column("sid", sa.Text, nullable=False, unique=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        _cascade("chat_service_sid", "services.sid"),
        sa.Column("identity", sa.Text, nullable=False),
        sa.Column("friendly_name", sa.Text, nullable=True),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("role_sid", sa.Text, nullable=False),
        sa.Column("date_created", sa.Text, nullable=False),
        sa.Column("date_updated", sa.Text, nullable=False),
        # Identity is unique per service and case-sensitive: both engines compare TEXT bytewise.
        sa.UniqueConstraint("chat_service_sid", "identity", name="users_identity_per_service"),
    )
    op.create_index("users_by_service", "users", ["chat_service_sid", "id"])
    op.create_index("users_by_role", "users", ["role_sid"])


def downgrade() -> None:
    for table in ("users", "service_configs", "roles", "account_configs", "services", "accounts"):
        op.drop_table(table)
