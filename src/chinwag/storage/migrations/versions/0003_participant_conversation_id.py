"""Participants reference their conversation by integer id as well as by SID.

Revision ID: 0003
Revises: 0002

`participants.conversation_id` = `conversations.id` of the row `conversation_sid` names; both are
set together when a participant is added and never change. The membership joins (a user's
conversations above all) go through it: on SQLite `conversations.id` is the rowid, so each row of a
page costs one b-tree descent instead of two (the text `sid`'s unique index, then the rowid), and on
PostgreSQL an integer key instead of a text one. `conversation_sid` stays: the API shows it and the
per-conversation queries filter on it.

The foreign key cascades like the `conversation_sid` one (either would remove the participants of
a deleted conversation). `participants_by_conversation_id` is there for that cascade: without an
index on the referencing column both engines would scan the whole participants table for every
conversation deleted. Existing rows are filled from their `conversation_sid` before NOT NULL is
set; on SQLite that step rebuilds the table (Alembic's batch mode), as SQLite cannot alter a column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# As 0002's `id` columns: BIGINT on PostgreSQL, and exactly INTEGER on SQLite (the rowid's type).
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FK_NAME = "participants_conversation_id_fkey"


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("conversation_id", SEQ, nullable=True))
    op.execute(
        "UPDATE participants SET conversation_id ="
        " (SELECT c.id FROM conversations c WHERE c.sid = participants.conversation_sid)"
    )
    with op.batch_alter_table("participants") as batch:
        batch.alter_column("conversation_id", existing_type=SEQ, nullable=False)
        batch.create_foreign_key(FK_NAME, "conversations", ["conversation_id"], ["id"], ondelete="CASCADE")
    op.create_index("participants_by_conversation_id", "participants", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("participants_by_conversation_id", table_name="participants")
    with op.batch_alter_table("participants") as batch:
        batch.drop_constraint(FK_NAME, type_="foreignkey")
        batch.drop_column("conversation_id")
