"""The realtime event log: every change to a Sync object the JS client reads, in one id order.

Revision ID: 0013
Revises: 0012

`realtime_events` rows are written in the transaction of the change they describe (like the webhook
outbox, but always, with no configuration), one row per Sync event: the object (`object_sid`,
`object_type` map|list|document), the Sync event name, the item's key (maps) or index (lists), and
the item's or the whole document's data as JSON text (null for removals). `id` is the event id the
client sees (`last_event_id`); SQLite's AUTOINCREMENT and PostgreSQL's bigserial never hand an id
out twice, so a key removed and added again gets a larger one. No foreign keys: a removal event
outlives the object it removes. Read by object (`(object_sid, id)`) for replay and by id for the
hub's tail (docs/ARCHITECTURE.md, "The event log and the Sync projection").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"  # 0011 as assigned; chained after 0012 once the media branch was merged in
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "realtime_events",
        sa.Column("id", SEQ, primary_key=True, autoincrement=True),
        sa.Column("account_sid", sa.Text, nullable=False),
        sa.Column("object_sid", sa.Text, nullable=False),
        sa.Column("object_type", sa.Text, nullable=False),  # map | list | document
        sa.Column("event_type", sa.Text, nullable=False),  # Sync's names: map_item_added, document_updated, ...
        sa.Column("item_key", sa.Text, nullable=True),  # maps
        sa.Column("item_index", sa.BigInteger, nullable=True),  # lists
        sa.Column("data", sa.Text, nullable=True),  # JSON: item data, or the whole document
        sa.Column("date_created", sa.Text, nullable=False),
        sqlite_autoincrement=True,  # ids never reused, even after the newest rows are deleted
    )
    op.create_index("realtime_events_by_object", "realtime_events", ["object_sid", "id"])


def downgrade() -> None:
    op.drop_index("realtime_events_by_object", table_name="realtime_events")
    op.drop_table("realtime_events")
