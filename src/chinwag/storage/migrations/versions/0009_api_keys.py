"""API keys (SK…), and a credentials epoch that every credential change bumps.

Revision ID: 0009
Revises: 0008

`api_keys` holds each key's secret as issued: the server needs it back to verify HS256 access
tokens signed with it (docs/decisions.md #101), as it needs an account's auth token back to check
webhook signatures.

`credentials_epoch` is one row whose `version` grows whenever a credential stops being what it was:
an account's auth token changes, an account is removed, a key's secret or account changes, a key is
removed. Triggers bump it, so a change made by any route, by `chinwag serve` restarting with a new
token, or by hand in SQL is seen alike. Every server process polls the row and empties its
credential cache when the number moves (http/auth.py; docs/decisions.md #102).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_BUMP = "UPDATE credentials_epoch SET version = version + 1 WHERE id = 1"
# (trigger name, table, event)
_TRIGGERS = (
    ("accounts_token_changed", "accounts", "UPDATE OF auth_token"),
    ("accounts_removed", "accounts", "DELETE"),
    ("api_keys_changed", "api_keys", "UPDATE OF secret, account_sid"),
    ("api_keys_removed", "api_keys", "DELETE"),
)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", SEQ, primary_key=True, autoincrement=True),
        sa.Column("sid", sa.Text, nullable=False, unique=True),
        sa.Column("account_sid", sa.Text, sa.ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
        sa.Column("friendly_name", sa.Text, nullable=True),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("date_created", sa.Text, nullable=False),
        sa.Column("date_updated", sa.Text, nullable=False),
    )
    op.create_index("api_keys_by_account", "api_keys", ["account_sid", "id"])
    op.create_table(
        "credentials_epoch",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO credentials_epoch (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            # `SET search_path FROM CURRENT`: the table is found in this schema even when the change
            # comes from a session with another search_path (an operator's psql).
            "CREATE FUNCTION chinwag_bump_credentials_epoch() RETURNS trigger LANGUAGE plpgsql"
            f" SET search_path FROM CURRENT AS $$ BEGIN {_BUMP}; RETURN NULL; END $$"
        )
        for name, table, event in _TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION chinwag_bump_credentials_epoch()"
            )
    else:
        for name, table, event in _TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {_BUMP}; END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, _ in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}" if postgres else f"DROP TRIGGER IF EXISTS {name}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS chinwag_bump_credentials_epoch()")
    op.drop_table("credentials_epoch")
    op.drop_index("api_keys_by_account", table_name="api_keys")
    op.drop_table("api_keys")
