"""Open realtime sockets, for reachability across processes and after a crash.

Revision ID: 0015
Revises: 0014

One row per initialised socket: whose (`account_sid`, `chat_service_sid`, `user_sid`), which
server process holds it (`process`, a tag unique per process start, with `host` and `pid` so a
process starting on the same host can tell a dead peer), and `lease_until` (epoch seconds) that
the holding process renews while it lives. A user is online while a row of theirs is live: its
lease not run out and, on this host, its process alive (docs/decisions.md #128).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"  # after media (0012), the event log (0013) and one-statement posts (0014)
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "realtime_connections",
        sa.Column("id", SEQ, primary_key=True, autoincrement=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        sa.Column("chat_service_sid", sa.Text, nullable=False),
        sa.Column("user_sid", sa.Text, nullable=False),
        sa.Column("process", sa.Text, nullable=False),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("lease_until", sa.Float, nullable=False),
    )
    op.create_index("realtime_connections_by_user", "realtime_connections", ["user_sid"])
    op.create_index("realtime_connections_by_process", "realtime_connections", ["process"])


def downgrade() -> None:
    op.drop_index("realtime_connections_by_process", table_name="realtime_connections")
    op.drop_index("realtime_connections_by_user", table_name="realtime_connections")
    op.drop_table("realtime_connections")
