"""Users keep their API record rendered: `record_json`, `record_version`.

Revision ID: 0004
Revises: 0003

`record_json` is what `domain/user_record.py` renders from the row (every field of the API record
but `url` and `links`, as a JSON object left open), written with the row; `record_version` is the
shape it was rendered in. A list page reads it instead of ten columns per user. Rows whose version
is not the code's are rendered from their columns on read, so the columns stay the truth.

Existing rows are filled here, in batches, with version 1's shape as it was when this migration was
written (a migration must not follow later changes of the application's code).
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BATCH = 1000
_COLUMNS = (
    "id, sid, account_sid, chat_service_sid, role_sid, identity, friendly_name, attributes, date_created, date_updated"
)


def _record_v1(row: Any) -> str:
    fields = {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "chat_service_sid": row.chat_service_sid,
        "role_sid": row.role_sid,
        "identity": row.identity,
        "friendly_name": row.friendly_name,
        "attributes": row.attributes,
        "is_online": None,
        "is_notifiable": None,
        "date_created": row.date_created,
        "date_updated": row.date_updated,
    }
    return orjson.dumps(fields)[:-1].decode()


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("record_json", sa.Text, nullable=True))
        batch.add_column(sa.Column("record_version", sa.Integer, nullable=True))
    conn = op.get_bind()
    update = sa.text("UPDATE users SET record_json = :record, record_version = 1 WHERE id = :id")
    after = -1
    while True:
        rows = conn.execute(
            sa.text(f"SELECT {_COLUMNS} FROM users WHERE id > :after ORDER BY id LIMIT {BATCH}"), {"after": after}
        ).fetchall()
        if not rows:
            break
        conn.execute(update, [{"record": _record_v1(r), "id": r.id} for r in rows])
        after = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("record_version")
        batch.drop_column("record_json")
