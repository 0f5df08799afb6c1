"""An index on participants' role, for deleting a role.

Revision ID: 0005
Revises: 0004

Deleting a role first asks whether anything still holds it (decisions.md #31), participants
included: `WHERE chat_service_sid = ? AND role_sid = ?`. With no index on `role_sid` that read
every participant of the service (10^6 rows in the bench's large database). Role SIDs are unique,
so `role_sid` alone narrows it to the holders. Participants change roles rarely, so the index
costs their inserts and little else.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("participants_by_role", "participants", ["role_sid"])


def downgrade() -> None:
    op.drop_index("participants_by_role", table_name="participants")
